// Storage isolation (spar-protocol.md §4.2, §4.4.1: an IOSP serves a guest only the disks the
// configuration shares with it): a guest's vhba shows exactly those disks. Judged on what the
// guest's own target scan saw (src/kinds/vhba/target-scan.ts): the disk answering at each SCSI
// address, and how a READ to an address with no disk was answered.

/** What one target answered a guest's scan. */
export interface ScannedTarget {
  readonly id: number;
  /**
   * `disk`: INQUIRY found a disk (`serial` names it); `no-disk`: none there; `lost`: no answer
   * that says either (a reset budget exhausted, the host removed, still outstanding at the end).
   */
  readonly inquiry: 'disk' | 'no-disk' | 'lost';
  readonly serial?: string;
  /** The READ sent to a no-disk target: `no-disk` (DID_NO_CONNECT), `served` by a device, `lost`. */
  readonly read?: 'no-disk' | 'served' | 'lost';
}

/** One vhba's scan: the serving IOSP and what each target id answered. */
export interface VhbaScan {
  readonly iosp: string;
  readonly targets: readonly ScannedTarget[];
}

/** A broken storage isolation promise, at one SCSI target of a vhba served by `iosp`. */
export type StorageIsolationFinding =
  /** A disk answered where the guest may reach no disk, or another disk than the one shared. */
  | {
      readonly kind: 'foreign-disk';
      readonly iosp: string;
      readonly id: number;
      readonly disk: string;
    }
  /** A READ to an address with no disk reached a device instead of being answered no-disk. */
  | { readonly kind: 'no-disk-served'; readonly iosp: string; readonly id: number }
  /** A disk shared at this address answered that no disk is there. */
  | {
      readonly kind: 'missing-disk';
      readonly iosp: string;
      readonly id: number;
      readonly disk: string;
    };

/**
 * The broken promises of one guest's `scans`; `shared(iosp)` maps each target id to the serial of
 * the disk `iosp` shares with the guest there. A target that answered neither way (`lost`) is no
 * finding: faults may leave a scan unanswered, and nothing was reached.
 */
export function storageIsolationFindings(
  scans: readonly VhbaScan[],
  shared: (iosp: string) => ReadonlyMap<number, string>,
): StorageIsolationFinding[] {
  return scans.flatMap(({ iosp, targets }) => {
    const mine = shared(iosp);
    return targets.flatMap((t): StorageIsolationFinding[] => {
      const expected = mine.get(t.id);
      if (t.inquiry === 'disk' && t.serial !== expected)
        return [{ kind: 'foreign-disk', iosp, id: t.id, disk: t.serial ?? '' }];
      if (t.inquiry !== 'no-disk') return [];
      const out: StorageIsolationFinding[] = [];
      if (expected !== undefined)
        out.push({ kind: 'missing-disk', iosp, id: t.id, disk: expected });
      if (t.read === 'served') out.push({ kind: 'no-disk-served', iosp, id: t.id });
      return out;
    });
  });
}

/** Targets of `scans` that answered (a disk or no disk): what keeps the check from passing vacuously. */
export function answeredTargets(scans: readonly VhbaScan[]): number {
  return scans.reduce((n, s) => n + s.targets.filter((t) => t.inquiry !== 'lost').length, 0);
}

/** One line for a finding of guest `guest`. */
export function storageIsolationText(guest: string, f: StorageIsolationFinding): string {
  const at = `${f.iosp} target ${f.id}`;
  switch (f.kind) {
    case 'foreign-disk':
      return `${guest}: ${at} shows disk "${f.disk}", which is not shared with it there`;
    case 'no-disk-served':
      return `${guest}: ${at} has no disk for it, yet a READ there was served`;
    case 'missing-disk':
      return `${guest}: ${at} answered no disk, but disk "${f.disk}" is shared with it there`;
  }
}
