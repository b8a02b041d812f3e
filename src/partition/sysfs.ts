// The guest's sysfs view of its buses and devices (spar-protocol.md §3.8, final visorbus):
// `/sys/devices/visorbus<N>/` with the bus attributes and `/sys/devices/visorbus<N>/vbus<N>:dev<M>/`
// with the device and channel attributes, computed from the machines' state and the channel
// headers, as the kernel computes them on read.
//
// Choice: the channel attributes sit directly in the device directory (the final code's unnamed
// attribute group), not in the `channel/` subdirectory the documentation describes.
// Choice: partition_guid and partition_name come from BUS_CONFIGURE's payload, which spar-sim's
// command partition does not send yet; they read as the null GUID and an empty name.

import { StructView } from '../base/struct.js';
import { NULL_GUID } from '../base/guid.js';
import { channelHeader } from '../channel/index.js';
import type { ChannelRecord } from '../hypervisor/index.js';

/** What the view needs from visorchipset and visorbus. */
export interface SysfsSource {
  /** Created buses: bus number, its channel, and BUS_CONFIGURE's guest handle (decimal) if any. */
  readonly buses: readonly {
    readonly busNo: number;
    readonly channel: ChannelRecord;
    readonly guestHandle: string | null;
  }[];
  /** Registered devices: numbers, channel, and the bound driver's name (null when unbound). */
  readonly devices: readonly {
    readonly busNo: number;
    readonly devNo: number;
    readonly channel: ChannelRecord;
    /** DEVICE_CREATE's `data_type_guid`: the type visorbus knows the channel by (§1.7). */
    readonly typeGuid: string;
    readonly driver: string | null;
  }[];
}

const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

/** Every attribute file, by absolute path, with its contents (without the trailing newline). */
export function sysfsView(source: SysfsSource): Record<string, string> {
  const files: Record<string, string> = {};
  for (const bus of source.buses) {
    const dir = `/sys/devices/visorbus${bus.busNo}`;
    const header = StructView.at(channelHeader, bus.channel.buffer, 0);
    files[`${dir}/partition_handle`] = hex(BigInt(bus.guestHandle ?? '0'));
    files[`${dir}/partition_guid`] = `{${NULL_GUID}}`;
    files[`${dir}/partition_name`] = '';
    files[`${dir}/channel_addr`] = hex(bus.channel.channelAddr);
    files[`${dir}/channel_bytes`] = hex(bus.channel.channelBytes);
    files[`${dir}/channel_id`] = header.getGuid('chtype');
    files[`/sys/bus/visorbus/devices/visorbus${bus.busNo}`] =
      `../../../devices/visorbus${bus.busNo}`;
  }
  for (const device of source.devices) {
    const name = `vbus${device.busNo}:dev${device.devNo}`;
    const dir = `/sys/devices/visorbus${device.busNo}/${name}`;
    const header = StructView.at(channelHeader, device.channel.buffer, 0);
    // As visorchannel_create: the type GUID is the one DEVICE_CREATE gave, not the header's.
    const typeGuid = device.typeGuid;
    files[`${dir}/modalias`] = `visorbus:${typeGuid}`;
    files[`${dir}/physaddr`] = hex(device.channel.channelAddr);
    files[`${dir}/nbytes`] = hex(device.channel.channelBytes);
    files[`${dir}/clientpartition`] = hex(header.get64('partition_handle'));
    files[`${dir}/typeguid`] = typeGuid;
    files[`${dir}/zoneguid`] = header.getGuid('zone_guid');
    // typename is the driver-provided friendly name: empty until a driver binds.
    files[`${dir}/typename`] = device.driver === null ? '' : device.channel.typeName;
    files[`/sys/bus/visorbus/devices/${name}`] = `../../../devices/visorbus${device.busNo}/${name}`;
    if (device.driver !== null)
      files[`${dir}/driver`] = `../../../../bus/visorbus/drivers/${device.driver}`;
  }
  return files;
}
