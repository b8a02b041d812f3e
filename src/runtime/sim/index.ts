// Public surface of the deterministic runtime (STYLE §1, §5): one seeded scheduler on virtual
// time, a SimWorld per run and a SimEnvironment per partition, and the trace fingerprint.

export { SimScheduler, TIE_MAX } from './scheduler.js';
export type { RunSummary, SimSchedulerOptions, StopReason } from './scheduler.js';
export { SimWorld, DEFAULT_TRACE_LIMIT } from './sim-world.js';
export type { SimWorldOptions } from './sim-world.js';
export { SimEnvironment } from './sim-environment.js';
export type { SimWorldPorts } from './sim-environment.js';
export { RingListeners } from './ring-listeners.js';
export type { RingListener } from './ring-listeners.js';
export { canonicalJson, toJsonLine, traceHash } from './trace-hash.js';
