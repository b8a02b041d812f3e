// The reset ledger of one storage stack: per request, how many times its command was given back
// for a retry, counted below the midlayer from what virthba reported (spar-protocol.md §4.2
// "Guarantee to the guest": DID_RESET completions; "Error-handler": the task management a
// timed-out command brought), never from the midlayer's own retry counter. src/check's
// reset-budget oracle judges the tally against SD_MAX_RETRIES.
//
// A command (one tag) counts as reset once when virthba completed it with DID_RESET or when the
// error handler sent task management for it (its DID_RESET release, if any, is the same reset).
// A busy bounce keeps the tag and counts nothing.

import { HOST_BYTE_DID_RESET, hostByte } from '../../../machines/scsi-midlayer.logic.js';

/** Requests by the resets their commands took: how many ended failed for the budget, and otherwise. */
export type ResetTally = Readonly<
  Record<string, { readonly budgetFailures: number; readonly otherEnds: number }>
>;

/** One live request: its resets so far, its current tag and whether that tag counted already. */
interface Entry {
  resets: number;
  tag: number;
  counted: boolean;
}

/** The ledger; fed by the storage stack from the effects that cross it. */
export class ResetLedger {
  private readonly byId = new Map<number, Entry>();
  private readonly idOfTag = new Map<number, number>();
  private readonly tally = new Map<number, { budgetFailures: number; otherEnds: number }>();

  /** `hba.queue`: request `id` sends its command under `tag` (a new tag, or a requeue of it). */
  queued(id: number, tag: number): void {
    const entry = this.byId.get(id);
    if (entry === undefined) this.byId.set(id, { resets: 0, tag, counted: false });
    else if (entry.tag !== tag) {
      this.idOfTag.delete(entry.tag);
      Object.assign(entry, { tag, counted: false });
    }
    this.idOfTag.set(tag, id);
  }

  /** `scsi.complete` of `tag` with `linuxstat` (null: busy). */
  completed(tag: number, linuxstat: number | null): void {
    if (linuxstat === null || hostByte(linuxstat) !== HOST_BYTE_DID_RESET) return;
    const id = this.idOfTag.get(tag);
    if (id !== undefined) this.reset(id);
  }

  /** `hba.taskMgmt` for request `id`: its current command timed out. */
  escalated(id: number): void {
    this.reset(id);
  }

  /** `request.done` of `id`; `budget`: it failed for an exhausted retry budget. */
  done(id: number, budget: boolean): void {
    const entry = this.byId.get(id);
    if (entry === undefined) return; // never reached the HBA (invalid, or the host was removed)
    this.byId.delete(id);
    this.idOfTag.delete(entry.tag);
    const row = this.tally.get(entry.resets) ?? { budgetFailures: 0, otherEnds: 0 };
    if (budget) row.budgetFailures++;
    else row.otherEnds++;
    this.tally.set(entry.resets, row);
  }

  /** The ended requests by resets (plain data for the report). */
  report(): ResetTally {
    const rows = [...this.tally.entries()].sort(([a], [b]) => a - b);
    return Object.fromEntries(rows.map(([resets, row]) => [String(resets), { ...row }]));
  }

  private reset(id: number): void {
    const entry = this.byId.get(id);
    if (entry === undefined || entry.counted) return;
    entry.resets++;
    entry.counted = true;
  }
}
