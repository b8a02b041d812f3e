// The device-information records a guest writes into its bus channel (spar-protocol.md §1.9):
// `visor_vbus_deviceinfo` (256 bytes: devtype[16], drvname[16], infostrs[96], reserved[128]) for
// the chipset at chp_info (256), the bus at bus_info (512) and device N at dev_info[N]
// (768 + N*256). The server reads them for display; a record that would not fit the channel is
// skipped, never written outside it.

import type { ChannelRecord } from '../hypervisor/index.js';

const DEVICE_INFO_BYTES = 256;
const RECORD_OFFSET = { chipset: 256, bus: 512 } as const;
const DEV_INFO_OFFSET = 768;

/** What one `vbus.write` effect asks for (visorbus and virtpci both emit it). */
export type VbusWrite =
  | { readonly record: 'chipset' | 'bus'; readonly devtype: string; readonly drvname: string }
  | { readonly record: 'device'; readonly devNo: number; readonly drvname: string };

/**
 * Writes one record; `devtype` is the device record's type name (visorbus leaves it to the host).
 * Returns false when the record would not fit in the channel.
 */
export function writeVbusRecord(
  channel: ChannelRecord,
  write: VbusWrite,
  devtype: string,
): boolean {
  const offset =
    write.record === 'device'
      ? DEV_INFO_OFFSET + write.devNo * DEVICE_INFO_BYTES
      : RECORD_OFFSET[write.record];
  const size = Math.min(channel.channelBytes, channel.buffer.byteLength);
  if (!Number.isSafeInteger(offset) || offset + DEVICE_INFO_BYTES > size) return false;
  const bytes = new Uint8Array(channel.buffer, offset, DEVICE_INFO_BYTES);
  bytes.fill(0);
  putString(bytes, 0, 16, write.record === 'device' ? devtype : write.devtype);
  putString(bytes, 16, 16, write.drvname);
  putString(bytes, 32, 96, 'kernel ver. spar-sim');
  return true;
}

/** Reads a record back (for sysfs views and tests). */
export function readVbusRecord(
  channel: ChannelRecord,
  record: 'chipset' | 'bus' | number,
): { devtype: string; drvname: string } {
  const offset =
    typeof record === 'number'
      ? DEV_INFO_OFFSET + record * DEVICE_INFO_BYTES
      : RECORD_OFFSET[record];
  const bytes = new Uint8Array(channel.buffer, offset, DEVICE_INFO_BYTES);
  return { devtype: getString(bytes, 0, 16), drvname: getString(bytes, 16, 16) };
}

// NUL-terminated ASCII, truncated to leave room for the NUL.
function putString(bytes: Uint8Array, at: number, size: number, text: string): void {
  for (let i = 0; i < Math.min(text.length, size - 1); i++)
    bytes[at + i] = text.charCodeAt(i) & 0x7f;
}

function getString(bytes: Uint8Array, at: number, size: number): string {
  let out = '';
  for (let i = at; i < at + size && bytes[i] !== 0; i++) out += String.fromCharCode(bytes[i] ?? 0);
  return out;
}
