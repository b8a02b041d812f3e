// The control-plane convergence property's judging (spar-protocol.md §2.6, §3.1, §3.5, §3.8): the
// CP's belief, folded from its own knowledge only (what it sent, the statuses it got, the channel
// at each address it used), against the replies it got and the guest's sysfs, read as an operator
// would.

import type { ControlvmExchange } from '../src/check/index.js';
import { LINUX_ERRNO, type ControlvmHeader } from '../src/protocol/controlvm.js';
import type { TraceRecord } from '../src/partition/environment.js';
import { type CpRequest, describeRequest } from './control-plane-convergence.case.js';

/** One request as sent: handle, id, and the address it named with the channel type there. */
export type SentRequest = {
  readonly handle: bigint;
  readonly id: number;
  readonly request: CpRequest;
} & {
  readonly channel: { readonly addr: bigint; readonly type: string | null };
};

/** What the CP saw: its requests in send order, the replies, and the guest's sysfs at the end. */
export interface RunRecord {
  readonly sent: readonly SentRequest[];
  readonly acks: readonly ControlvmHeader[];
  readonly responses: readonly ControlvmHeader[];
  /** Each request's exchange: whether its response came before its ack (src/check ack-order). */
  readonly exchanges: readonly ControlvmExchange[];
  readonly sysfs: Readonly<Record<string, string>>;
  /** The guest's trace (the CP's sends are the test's own, so not traced). */
  readonly trace: readonly TraceRecord[];
}

/** What the CP believes exists at the end: buses with the address they were created at, devices. */
export type CpBelief = {
  readonly buses: ReadonlyMap<number, bigint>;
  readonly devices: ReadonlySet<string>;
};

// What the CP knows of a device it believes exists: `bound` when announced as its channel's own
// console type, which the minimum driver set binds (§6); `held` once a CHANGESTATE of it went
// unanswered, which the guest then holds for good (§3.1, §3.5 step 2).
type KnownDevice = { readonly bound: boolean; held: boolean };

const BOUND_TYPES: readonly (string | null)[] = ['video', 'keyboard', 'mouse'];

/** The status the CP can predict for an answered request, or null when any will do. */
function predictedStatus(
  r: CpRequest,
  device: KnownDevice | undefined,
  inited: boolean,
): number | null {
  if (r.op === 'chipsetInit') return inited ? 1 : 0; // ALREADY_DONE (§2.6)
  if (r.op === 'unknownId') return 4; // ID_UNKNOWN (§2.6)
  const onDevice = r.op === 'deviceDestroy' || r.op === 'deviceChangeState';
  return onDevice && device?.held === true ? LINUX_ERRNO.EIO : null; // pending header (§3.1)
}

/**
 * Folds the requests in send order, which is the guest's processing order (§2.5), with the answer
 * each got: the CP's belief, and every answer that breaks §2.6 / §3.1 / §3.5. A request may go
 * unanswered only if it is a CHANGESTATE the guest may hold for good: to a device the CP believes
 * exists and holds nothing yet, for a state neither running nor standby or with no driver bound.
 * Such a request, if answered, was refused (status ≠ 0).
 */
export function cpBelief(run: RunRecord): { belief: CpBelief; violations: string[] } {
  const violations: string[] = [];
  const answers = new Map<bigint, ControlvmHeader>();
  for (const r of run.responses) if (!answers.has(r.messageHandle)) answers.set(r.messageHandle, r);
  const buses = new Map<number, bigint>();
  const devices = new Map<string, KnownDevice>();
  let inited = false;
  for (const { handle, request: r, channel } of run.sent) {
    const what = `#${handle} ${describeRequest(r)}`;
    const status = answers.get(handle)?.completionStatus;
    const key = 'devNo' in r ? `${r.busNo}:${r.devNo}` : '';
    const device = devices.get(key);
    const holdable =
      r.op === 'deviceChangeState' && device?.held === false && (r.state === 0x77 || !device.bound);
    if (status === undefined) {
      if (holdable && device !== undefined) device.held = true;
      else violations.push(`${what}: never answered`);
      continue;
    }
    if (holdable && status === 0)
      violations.push(`${what}: success, but the guest cannot complete it`);
    const predicted = predictedStatus(r, device, inited);
    if (predicted !== null && status !== predicted)
      violations.push(`${what}: status ${status}, expected ${predicted}`);
    if (status !== 0) continue;
    // A success must agree with the belief, or §2.6 would have answered EEXIST / ENODEV / EINVAL.
    const existed = 'devNo' in r ? device !== undefined : 'busNo' in r && buses.has(r.busNo);
    if (r.op.endsWith('Create') && existed)
      violations.push(`${what}: success, but it existed already`);
    if (/Destroy|Configure/.test(r.op) && !existed) violations.push(`${what}: success on nothing`);
    if (r.op === 'chipsetInit') inited = true;
    else if (r.op === 'busCreate') buses.set(r.busNo, channel.addr);
    else if (r.op === 'busDestroy')
      buses.delete(r.busNo); // its devices stay (§3.3 step 3)
    else if (r.op === 'deviceDestroy') devices.delete(key);
    else if (r.op === 'deviceCreate') {
      const own = r.announced === 'own' || r.announced === channel.type;
      devices.set(key, { bound: own && BOUND_TYPES.includes(channel.type), held: false });
    }
  }
  return { belief: { buses, devices: new Set(devices.keys()) }, violations };
}

/** Every ack and response names a handle the CP sent, with its id, once; every command is acked. */
export function replyViolations(run: RunRecord): string[] {
  const violations: string[] = [];
  const ids = new Map(run.sent.map((s) => [s.handle, s.id]));
  for (const [kind, replies] of [
    ['ack', run.acks],
    ['response', run.responses],
  ] as const) {
    const seen = new Set<bigint>();
    for (const { messageHandle: h, id } of replies) {
      if (ids.get(h) !== id) violations.push(`${kind} #${h} id 0x${id.toString(16)}: never sent`);
      if (seen.has(h)) violations.push(`second ${kind} for #${h}`);
      seen.add(h);
    }
    if (kind === 'ack' && seen.size < ids.size)
      violations.push(`${ids.size - seen.size} commands never acked`);
  }
  return violations;
}

const BUS_ADDR_FILE = /^\/sys\/devices\/visorbus(\d+)\/channel_addr$/;
const MODALIAS_FILE = /^\/sys\/devices\/visorbus(\d+)\/vbus(\d+):dev(\d+)\/modalias$/;

/** sysfs (§3.8) against the belief: exactly the believed buses, at their addresses, and devices. */
export function treeViolations(
  belief: CpBelief,
  sysfs: Readonly<Record<string, string>>,
): string[] {
  const shown = new Set<string>();
  for (const [path, contents] of Object.entries(sysfs)) {
    const bus = BUS_ADDR_FILE.exec(path);
    if (bus !== null) shown.add(`bus ${bus[1]} at ${contents}`);
    const dev = MODALIAS_FILE.exec(path);
    if (dev !== null)
      shown.add(`device ${dev[2]}:${dev[3]}${dev[1] === dev[2] ? '' : ` in visorbus${dev[1]}`}`);
  }
  const buses = [...belief.buses].map(([n, addr]) => `bus ${n} at 0x${addr.toString(16)}`);
  const believed = new Set([...buses, ...[...belief.devices].map((d) => `device ${d}`)]);
  const missing = [...believed]
    .filter((x) => !shown.has(x))
    .map((x) => `${x}: believed, not in sysfs`);
  return [
    ...missing,
    ...[...shown].filter((x) => !believed.has(x)).map((x) => `${x}: in sysfs, not believed`),
  ];
}
