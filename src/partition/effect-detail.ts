// A one-line description of a machine effect for traces and timelines: which controlvm command,
// which message handle, which bus and device, which status.

import { controlvmIdName } from '../protocol/controlvm.js';

/** Short human-readable facts of an effect (empty when there are none worth showing). */
export function effectDetail(effect: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const message = (effect['request'] ?? effect['response'] ?? effect['msg']) as
    | Record<string, unknown>
    | undefined;
  // Only controlvm messages and the CP's outcomes carry a controlvm id; other effects' ids are
  // request ids (workloads, the midlayer).
  const type = String(effect['type']);
  const controlvm =
    type.startsWith('controlvm.') || type.startsWith('cp.') || type.startsWith('visorbus.');
  const id = message?.['id'] ?? effect['id'];
  if (typeof id === 'number') parts.push(controlvm ? controlvmIdName(id) : `#${id}`);
  if (typeof effect['op'] === 'string')
    parts.push(`${effect['op']} lba ${String(effect['lba'])}+${String(effect['blocks'])}`);
  if (typeof effect['tag'] === 'number') parts.push(`tag ${effect['tag']}`);
  const kind = message?.['kind'] ?? effect['kind'];
  if (typeof kind === 'string') parts.push(kind);
  const handle = message?.['messageHandle'] ?? effect['messageHandle'];
  if (typeof handle === 'string') parts.push(`handle=${handle}`);
  if (typeof effect['guest'] === 'string') parts.push(`guest=${effect['guest']}`);
  if (typeof effect['driver'] === 'string') parts.push(effect['driver']);
  const bus = message?.['busNo'] ?? effect['busNo'];
  const dev = message?.['devNo'] ?? effect['devNo'];
  if (typeof bus === 'number')
    parts.push(typeof dev === 'number' ? `vbus${bus}:dev${dev}` : `bus ${bus}`);
  const status = message?.['status'] ?? effect['status'];
  if (typeof status === 'number') parts.push(`status=${status}`);
  return parts.join(' ');
}
