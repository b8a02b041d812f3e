// The public surface of src/export (STYLE §1): machines → Stately JS, JSON config and Mermaid,
// for `spar export` (issue: CLI).

export { configJson, machineConfigJson, reviveConfig, type ConfigJson } from './config-json.js';
export {
  EXPORT_FORMATS,
  FORMAT_EXTENSION,
  exportFiles,
  type ExportFile,
  type ExportFormat,
  type ExportSource,
} from './export-files.js';
export { GUARD_TYPES, encodeGuard, reviveGuard, type GuardHelper } from './guards.js';
export {
  INLINE_PREFIX,
  isInlinePlaceholder,
  type InlinePlaceholder,
} from './inline-placeholder.js';
export type { JsonObject, JsonValue } from './json-value.js';
export {
  machineShape,
  type MachineShape,
  type StateShape,
  type TransitionShape,
} from './machine-shape.js';
export { mermaidDiagram } from './mermaid.js';
export { statelyModule, type StatelyModuleSource } from './stately-js.js';
export { writeFilesAtomically, type FileToWrite, type WriteError } from './write-files.js';
