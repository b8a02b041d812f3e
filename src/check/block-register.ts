// Block register: no acknowledged write is lost when several guests write one disk
// (spar-protocol.md §4.2 "Guarantee to the guest (vhba)"). Each block is judged as a linearizable
// register over the timed histories of every workload that drove the disk: a read (and, at the
// end, the block itself) must show the last acknowledged write or one concurrent with it.
//
// A history entry spans the whole request as its workload saw it, from `workload.submit` to its
// answer, so the disk operation happened inside [startMs, endMs]. The rule, per block:
// - the value read is 0 (never written) or the version of a write to that block that started
//   before the read ended (a read cannot see the future, nor data written for another block);
// - no acknowledged write w′ supersedes it: w′ started after the value's write was acknowledged
//   and was itself acknowledged before the read started. A write that failed or was never
//   answered may reach the disk at any time after it started, so it is never superseded before
//   it is, and never supersedes another. Equal instants count as concurrent (the sim's ms).
// Choice: this is the check the issue states (last acknowledged or concurrent), per block; it does
// not search for one total order across reads of different blocks.

/** One request as its workload saw it. */
export interface BlockOp {
  readonly op: 'read' | 'write';
  readonly lba: number;
  readonly blocks: number;
  /** A write's version (block lba + i holds it); null for a read. */
  readonly version: number | null;
  readonly startMs: number;
  /** When its answer reached the workload; null: never answered. */
  readonly endMs: number | null;
  /** Whether it succeeded; null while unanswered. */
  readonly ok: boolean | null;
  /** A successful read: the version each block showed (null: torn or foreign data). */
  readonly read: readonly (number | null)[] | null;
}

/** One workload's history on a disk. */
export interface BlockHistory {
  /** Who ran it (`guest1`): findings name it. */
  readonly writer: string;
  readonly ops: readonly BlockOp[];
}

/** A read or a final block that breaks the register. */
export interface RegisterFinding {
  /** The workload that read it; null for the block as the run left it. */
  readonly reader: string | null;
  readonly lba: number;
  /** What it showed (null: torn, foreign or unreadable). */
  readonly got: number | null;
  readonly atMs: number | null;
}

interface TimedWrite {
  readonly version: number;
  readonly startMs: number;
  /** Acknowledged at; Infinity when it failed or was never answered. */
  readonly ackMs: number;
}

// Every write per LBA.
function writesByLba(histories: readonly BlockHistory[]): Map<number, TimedWrite[]> {
  const out = new Map<number, TimedWrite[]>();
  for (const h of histories)
    for (const op of h.ops) {
      if (op.op !== 'write' || op.version === null) continue;
      const ackMs = op.ok === true && op.endMs !== null ? op.endMs : Number.POSITIVE_INFINITY;
      const w = { version: op.version, startMs: op.startMs, ackMs };
      for (let l = op.lba; l < op.lba + op.blocks; l++) {
        const list = out.get(l) ?? [];
        list.push(w);
        out.set(l, list);
      }
    }
  return out;
}

/**
 * Whether a block showing `got` within [startMs, endMs] keeps the register, given the writes to
 * it (pass Infinity for both to judge the block as the run left it).
 */
export function registerAllows(
  writes: readonly TimedWrite[],
  got: number | null,
  startMs: number,
  endMs: number,
): boolean {
  if (got === null) return false;
  let ackMs = Number.NEGATIVE_INFINITY; // version 0: there before every write
  if (got !== 0) {
    const w = writes.find((x) => x.version === got && x.startMs <= endMs);
    if (w === undefined) return false;
    ackMs = w.ackMs;
  }
  return !writes.some((x) => x.startMs > ackMs && x.ackMs < startMs);
}

/** The reads of `histories` that break the register, in history order. */
export function registerReadFindings(histories: readonly BlockHistory[]): RegisterFinding[] {
  const writes = writesByLba(histories);
  const out: RegisterFinding[] = [];
  for (const h of histories)
    for (const op of h.ops) {
      if (op.op !== 'read' || op.ok !== true || op.read === null || op.endMs === null) continue;
      for (let i = 0; i < op.blocks; i++) {
        const got = op.read[i] ?? null;
        const lba = op.lba + i;
        if (!registerAllows(writes.get(lba) ?? [], got, op.startMs, op.endMs))
          out.push({ reader: h.writer, lba, got, atMs: op.endMs });
      }
    }
  return out;
}

/**
 * The blocks that, as the run left them (`versionAt`: the version a block holds, null when torn
 * or unreadable), lost an acknowledged write; only blocks some history wrote are read.
 */
export function registerFinalFindings(
  histories: readonly BlockHistory[],
  versionAt: (lba: number) => number | null,
): RegisterFinding[] {
  const out: RegisterFinding[] = [];
  const end = Number.POSITIVE_INFINITY;
  const writes = [...writesByLba(histories)].sort(([a], [b]) => a - b);
  for (const [lba, list] of writes) {
    if (!list.some((w) => w.ackMs < end)) continue; // nothing acknowledged: nothing to lose
    const got = versionAt(lba);
    if (!registerAllows(list, got, end, end)) out.push({ reader: null, lba, got, atMs: null });
  }
  return out;
}
