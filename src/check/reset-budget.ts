// Reset budget (spar-protocol.md §4.2 "Guarantee to the guest": a DID_RESET completion "is normally
// retried (subject to the command's retry budget)"; "Error-handler": a timed-out command is
// recovered and retried the same way): a request fails for its budget exactly when its commands
// were reset more than the budget allows, and never before. The resets are counted below the
// midlayer (the vhba kind's reset ledger: DID_RESET completions from virthba and task management
// for a timed-out command; a busy bounce is no reset), so a midlayer that miscounts its own
// retries is caught. Also: with no request live, virthba holds no pending slot (a slot a pause or
// a response should have freed is not left behind).

import { SD_MAX_RETRIES } from '../../machines/scsi-midlayer.logic.js';

/** Ended requests by the number of resets their commands took. */
export type ResetTallyRows = Readonly<
  Record<string, { readonly budgetFailures: number; readonly otherEnds: number }>
>;

/** What one vhba holds at the end: virthba's occupied slots, the midlayer's live requests. */
export interface HbaHeldAtEnd {
  readonly held: number;
  readonly live: number;
}

/**
 * The reset-budget findings of a tally, in words: requests that failed for the budget after at
 * most `budget` resets, that took `budget + 1` resets and did not fail for it, or that took more.
 */
export function resetBudgetFindings(tally: ResetTallyRows, budget = SD_MAX_RETRIES): string[] {
  const out: string[] = [];
  for (const [key, row] of Object.entries(tally)) {
    const resets = Number(key);
    if (resets <= budget && row.budgetFailures > 0)
      out.push(
        `${row.budgetFailures} request(s) failed for the retry budget after ${resets} reset(s) (budget ${budget})`,
      );
    if (resets === budget + 1 && row.otherEnds > 0)
      out.push(
        `${row.otherEnds} request(s) took ${resets} resets and did not fail for the budget (${budget})`,
      );
    if (resets > budget + 1)
      out.push(
        `${row.budgetFailures + row.otherEnds} request(s) took ${resets} resets, more than the budget (${budget}) allows`,
      );
  }
  return out;
}

/** The vhbas that hold pending slots with no request live, in words. */
export function heldSlotFindings(hbas: readonly HbaHeldAtEnd[]): string[] {
  return hbas.flatMap((h, i) =>
    h.live === 0 && h.held > 0
      ? [`vhba ${i} holds ${h.held} pending slot(s) with no request live`]
      : [],
  );
}

/** How many requests failed for the budget in `tally` (for a property's non-vacuity check). */
export function budgetFailures(tally: ResetTallyRows): number {
  return Object.values(tally).reduce((n, row) => n + row.budgetFailures, 0);
}
