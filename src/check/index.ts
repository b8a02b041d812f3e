// Public surface of the checkers (DESIGN "check/", STYLE §12 "Checkers apart"): the oracles that
// `spar run` expectations and the recovery properties both judge a run by. Each is a pure function
// or a small class over plain data (ledgers, disk contents, channel memory, counters), with a
// test beside it that feeds it data that must fail.

export {
  type AckOrderFinding,
  ackOrderFindings,
  ackOrderText,
  type ControlvmExchange,
  ReplyOrder,
} from './ack-order.js';
export {
  type BlockHistory,
  type BlockOp,
  type RegisterFinding,
  registerFinalFindings,
  registerReadFindings,
} from './block-register.js';
export { BufferOwnershipLedger } from './buffer-ownership.js';
export {
  type ChannelFinding,
  ChannelWatch,
  ChannelWatches,
} from './channel-watch.js';
export {
  budgetFailures,
  type HbaHeldAtEnd,
  heldSlotFindings,
  resetBudgetFindings,
  type ResetTallyRows,
} from './reset-budget.js';
export {
  type CompletionFinding,
  COMPLETION_BOUND_MS,
  type CompletionTotals,
  completionFindings,
  completionText,
  diskErrorsBound,
  type FiredDiskError,
  failureAccounting,
  type GuestCompletionFinding,
  overdueRequests,
  type WorkloadCompletion,
  workloadCompletionFindings,
} from './completion-ledger.js';
export {
  type FlowCounts,
  type FrameFinding,
  type FrameTotals,
  frameFindings,
  frameTotals,
  type ReceiverCounts,
} from './frame-ledger.js';
export {
  foreignChannels,
  type GivenChannel,
  type IsolationCounts,
  type IsolationFinding,
  isolationFindings,
} from './isolation.js';
export {
  type BoundFinding,
  type ConfiguredVnic,
  type FlowAtEnd,
  type InterfaceAtEnd,
  type LinkFinding,
  linkRecoveryFindings,
  networkAtBound,
  networkHealedAtMs,
  patienceMs,
  type UnfinishedWork,
  unfinishedWork,
  type WorkAtEnd,
} from './liveness.js';
export {
  answeredTargets,
  type ScannedTarget,
  type StorageIsolationFinding,
  storageIsolationFindings,
  storageIsolationText,
  type VhbaScan,
} from './storage-isolation.js';
export {
  type BlockInspector,
  lostAckedWrites,
  type ReadLedger,
  staleReads,
  type WriteLedger,
} from './write-ledger.js';
