// The guest's scan of one vhba (spar-protocol.md §4.2 Probe: `scsi_scan_host` issues INQUIRY
// through the normal path): which disks the guest can reach, what the storage isolation promise
// is judged on (src/check/storage-isolation.ts).
//
// Choices:
// - One INQUIRY per target id, for the unit serial number VPD page (0x80): its peripheral
//   qualifier says whether a disk is there, its serial names the disk (scsi-pages.ts
//   `serialNumber`), so the guest sees *which* disk answers at each address.
// - Target ids 0..max_id, one past the ids the adapter announces (`vhba.max.max_id`), so every
//   scan also asks one address where no disk may be.
// - Each target that answers "no disk" also gets a READ(10) of one 512-byte block at LBA 0: a
//   command to an address with no disk must be answered no-disk (DID_NO_CONNECT, §4.2), never
//   served.
// - A no-disk INQUIRY is answered success with `no_disk_result`; the guest fabricates the
//   36-byte answer itself (§4.2 response processing): {@link noDiskInquiry}.

import { hostByte } from '../../../machines/scsi-midlayer.logic.js';
import type { ScannedTarget, VhbaScan } from '../../check/index.js';
import { DID_NO_CONNECT } from '../../protocol/uiscmdrsp-linuxstat.js';

export type { ScannedTarget, VhbaScan } from '../../check/index.js';

/** The answer buffer of the scan's INQUIRY, in bytes (a 4-byte header and a ≤ 32-char serial). */
export const SCAN_INQUIRY_BYTES = 64;
/** The block size of the scan's no-disk READ. */
export const SCAN_READ_BLOCK_BYTES = 512;

/** The 36-byte INQUIRY answer virthba fabricates for `no_disk_result` (§4.2). */
export function noDiskInquiry(lun: number): Uint8Array {
  const data = new Uint8Array(36);
  data[0] = lun === 0 ? 0x20 : 0x7f; // DEV_DISK_CAPABLE_NOT_PRESENT / DEV_NOT_CAPABLE
  data[2] = 4; // SCSI_SPC2_VER
  data[3] = lun === 0 ? 0x10 : 0; // DEV_HISUPPORT
  data[4] = 31;
  data.set(
    Array.from('DELLPSEUDO DEVICE .', (c) => c.charCodeAt(0)),
    8,
  );
  return data;
}

/** The serial of a unit serial number page, or null when the answer says no disk is there. */
export function serialOf(data: Uint8Array): string | null {
  const qualifier = (data[0] ?? 0xff) >> 5;
  if (qualifier !== 0 || data[1] !== 0x80 || data.length < 4) return null;
  const length = ((data[2] ?? 0) << 8) | (data[3] ?? 0);
  return String.fromCharCode(...data.subarray(4, 4 + length));
}

/** A scan question for the midlayer: the INQUIRY, or the no-disk READ, of target `id`. */
export interface ScanRequest {
  readonly id: number;
  readonly op: 'inquiry' | 'read';
}

/** An answer to a {@link ScanRequest}: good data, or a failure with its result word. */
export type ScanAnswer =
  | { readonly ok: true; readonly data?: Uint8Array }
  | { readonly ok: false; readonly linuxstat?: number };

/** The scan of one vhba: asks every target, and keeps what each answered. */
export class TargetScan {
  private readonly targets = new Map<number, ScannedTarget>();

  constructor(
    private readonly iosp: string,
    private readonly maxId: number,
    private readonly ask: (request: ScanRequest) => void,
  ) {}

  /** Asks every target id 0..max_id its INQUIRY. */
  start(): void {
    for (let id = 0; id <= this.maxId; id++) {
      this.targets.set(id, { id, inquiry: 'lost' });
      this.ask({ id, op: 'inquiry' });
    }
  }

  /** The midlayer's one answer to a scan request. */
  answered(request: ScanRequest, answer: ScanAnswer): void {
    const { id } = request;
    if (request.op === 'read') {
      this.targets.set(id, { id, inquiry: 'no-disk', read: readAnswer(answer) });
      return;
    }
    if (!answer.ok || answer.data === undefined) {
      this.targets.set(id, { id, inquiry: 'lost' });
      return;
    }
    const serial = serialOf(answer.data);
    if (serial !== null) {
      this.targets.set(id, { id, inquiry: 'disk', serial });
      return;
    }
    this.targets.set(id, { id, inquiry: 'no-disk', read: 'lost' });
    this.ask({ id, op: 'read' });
  }

  /** What the scan found so far (plain data for the guest's report). */
  report(): VhbaScan {
    return { iosp: this.iosp, targets: [...this.targets.values()] };
  }
}

/**
 * What the no-disk READ's answer says: DID_NO_CONNECT is no disk; good data, or a SCSI status with
 * host byte DID_OK (CHECK CONDITION…), came from a device; anything else (a reset, an abort) says
 * neither.
 */
function readAnswer(answer: ScanAnswer): 'no-disk' | 'served' | 'lost' {
  if (answer.ok) return 'served';
  const linuxstat = answer.linuxstat ?? 0;
  if (hostByte(linuxstat) === DID_NO_CONNECT) return 'no-disk';
  return answer.linuxstat !== undefined && hostByte(linuxstat) === 0 && linuxstat !== 0
    ? 'served'
    : 'lost';
}
