// The block workload after its guest rebooted (spar-protocol.md §4.2 "Guarantee to the guest":
// no acknowledged write is lost; issue #14, a crashed guest's own writes are checked after its
// reboot). Not s-Par code: an application that journals what it had acknowledged, and after a
// crash reads each such block back before it goes on.
//
// The recovered ledger becomes the workload's own: every read, the read-backs included, accepts an
// LBA's acknowledged version or one written since (`possible`: the writes in flight at the crash,
// which may or may not have reached the disk), and src/check's write ledger judges the blocks at
// the end against it. New writes continue from the ledger's `nextVersion`, so no version is
// written twice. The read-backs come first, one block each, ids after the schedule's (`ops` + k).

import { assert } from '../src/base/assert.js';
import { bump, lbaEntries, lbaState, VERSION_LIMIT } from './block-workload.logic.js';
import type {
  BlockWorkloadContext,
  BlockWorkloadEmitted,
  RecoveredLedger,
  WorkloadRequest,
} from './block-workload.types.js';

/** `c` taking over `recovered` (unchanged without one). */
export function withRecoveredLedger(
  c: BlockWorkloadContext,
  recovered: RecoveredLedger | undefined,
): BlockWorkloadContext {
  if (recovered === undefined) return c;
  const { lbas, nextVersion } = recovered;
  assert(Number.isSafeInteger(nextVersion) && nextVersion >= 1, `bad nextVersion ${nextVersion}`);
  const last = nextVersion + c.ops * c.versionStep;
  assert(last < VERSION_LIMIT, `${c.ops} writes from version ${nextVersion} overflow`);
  const toVerify = lbaEntries(lbas)
    .filter(([lba, state]) => state.acked > 0 && lba < c.blocks)
    .map(([lba]) => lba);
  return { ...c, lbas, nextVersion, toVerify };
}

/** Whether requests are left to issue: read-backs or the schedule's. */
export function hasRequestsLeft(c: BlockWorkloadContext): boolean {
  return c.toVerify.length > 0 || c.issued < c.ops;
}

/** The next read-back and the context after issuing it (assumes `toVerify` is not empty). */
export function issueReadBack(c: BlockWorkloadContext): {
  context: BlockWorkloadContext;
  effect: BlockWorkloadEmitted;
} {
  const [lba, ...toVerify] = c.toVerify;
  assert(lba !== undefined, 'no block left to read back');
  const id = c.ops + c.counts.recoveryReads;
  const state = lbaState(c, lba);
  const allowed = [[state.acked, ...state.possible]];
  const request: WorkloadRequest = { id, op: 'read', lba, blocks: 1, version: null, allowed };
  const counts = bump(c.counts, 'submitted', 'reads', 'recoveryReads');
  const context = { ...c, toVerify, inFlight: [...c.inFlight, request], counts };
  const { name, blockSize } = c;
  const effect: BlockWorkloadEmitted = {
    type: 'workload.submit',
    ...{ name, id, op: 'read', lba, blocks: 1, blockSize, version: null },
  };
  return { context, effect };
}
