// Public surface of the deterministic runtime (STYLE §1, §5): one seeded scheduler on virtual
// time, a SimWorld per run and a SimEnvironment per partition, the trace fingerprint, and
// SimRun: a configuration's hosts driven by the shared Hypervisor.

export { SimScheduler, TIE_MAX } from './scheduler.js';
export type { RunSummary, SimSchedulerOptions, StopReason } from './scheduler.js';
export { SimWorld, DEFAULT_TRACE_LIMIT } from './sim-world.js';
export type { SimWorldOptions } from './sim-world.js';
export { HYPERVISOR_ENVIRONMENT, PARTITION_NAME, SimEnvironment } from './sim-environment.js';
export type { SimWorldPorts } from './sim-environment.js';
export { RingListeners } from './ring-listeners.js';
export type { RingListener } from './ring-listeners.js';
export { canonicalJson, toJsonLine, traceHash } from './trace-hash.js';
export { DEFAULT_EVENT_BUDGET, SimRun } from './sim-run.js';
export type { SimRunOptions } from './sim-run.js';
export { SimLauncher } from './sim-launcher.js';
export type { SimHost } from './sim-launcher.js';
export { simulateBoot } from './boot.js';
export type { SimBootOutcome } from './boot.js';
