// Server and client states of a channel (spar-protocol.md §1.3): the enums, the legal client
// transitions declared in Era A, and the per-operation acquire/release arbitration between the
// boot (EFI) client and the OS client.
//
// Choice: Era A only logged an illegal transition and performed it anyway; spar-sim refuses it
// with a typed error (the requirement), so a simulated driver cannot drift silently.
// Writing the state a channel already has is allowed (Era A virtpci rewrites ATTACHED).

import { err, ok, type Result } from '../base/result.js';
import { channelError, type ChannelError } from './errors.js';
import { CH } from './layout.js';
import type { ChannelMemory } from './memory.js';

/** `enum channel_serverstate`. */
export const CHANNELSRV_UNINITIALIZED = 0;
export const CHANNELSRV_READY = 1;

/** `enum channel_clientstate`. */
export const CHANNELCLI_DETACHED = 0;
export const CHANNELCLI_DISABLED = 1;
export const CHANNELCLI_ATTACHING = 2;
export const CHANNELCLI_ATTACHED = 3;
export const CHANNELCLI_BUSY = 4;
export const CHANNELCLI_OWNED = 5;

/** Client-state names, indexed by value. */
export const CLIENT_STATE_NAMES = [
  'DETACHED',
  'DISABLED',
  'ATTACHING',
  'ATTACHED',
  'BUSY',
  'OWNED',
] as const;

/** Error-throttle bits of `cli_error_os` / `cli_error_boot` (Era A). */
export const ULTRA_CLIERROR_DISABLED = 0x01;
export const ULTRA_CLIERROR_NOTATTACHED = 0x02;
export const ULTRA_CLIERROR_BUSY = 0x04;

/** Legal transitions (§1.3), from → allowed targets. */
export const LEGAL_CLIENT_TRANSITIONS: Readonly<Record<number, readonly number[]>> = {
  [CHANNELCLI_DETACHED]: [
    CHANNELCLI_DISABLED,
    CHANNELCLI_ATTACHING,
    CHANNELCLI_ATTACHED,
    CHANNELCLI_OWNED,
  ],
  [CHANNELCLI_ATTACHING]: [
    CHANNELCLI_DISABLED,
    CHANNELCLI_DETACHED,
    CHANNELCLI_ATTACHED,
    CHANNELCLI_OWNED,
  ],
  [CHANNELCLI_ATTACHED]: [
    CHANNELCLI_DISABLED,
    CHANNELCLI_DETACHED,
    CHANNELCLI_BUSY,
    CHANNELCLI_OWNED,
  ],
  [CHANNELCLI_BUSY]: [CHANNELCLI_ATTACHED, CHANNELCLI_OWNED],
  [CHANNELCLI_DISABLED]: [CHANNELCLI_OWNED],
  [CHANNELCLI_OWNED]: [],
};

/** Which client's state field: the pre-boot EFI client or the guest OS. */
export type ClientKind = 'os' | 'boot';

const stateWord = (kind: ClientKind): number =>
  (kind === 'os' ? CH.cliStateOs : CH.cliStateBoot) / 4;
const fieldName = (kind: ClientKind): string => (kind === 'os' ? 'cli_state_os' : 'cli_state_boot');

/** Reads `srv_state`. */
export function serverState(mem: ChannelMemory): number {
  return Atomics.load(mem.i32, CH.srvState / 4) >>> 0;
}

/** True when the server has initialised the channel (SPAR_CHANNEL_SERVER_READY). */
export function isServerReady(mem: ChannelMemory): boolean {
  return serverState(mem) === CHANNELSRV_READY;
}

/** Reads a client state; a value outside the enum (hostile memory) is a typed error. */
export function clientState(mem: ChannelMemory, kind: ClientKind): Result<number, ChannelError> {
  const value = Atomics.load(mem.i32, stateWord(kind)) >>> 0;
  if (value > CHANNELCLI_OWNED)
    return err(channelError('bad-client-state', fieldName(kind), '0..5', value));
  return ok(value);
}

/** Changes a client state if §1.3 allows it; the store is a full barrier, as in Era A. */
export function setClientState(
  mem: ChannelMemory,
  kind: ClientKind,
  next: number,
): Result<number, ChannelError> {
  const current = clientState(mem, kind);
  if (!current.ok) return current;
  const from = current.value;
  if (from !== next && !(LEGAL_CLIENT_TRANSITIONS[from] ?? []).includes(next)) {
    const allowed =
      (LEGAL_CLIENT_TRANSITIONS[from] ?? []).map((s) => CLIENT_STATE_NAMES[s]).join('|') || 'none';
    const actual = `${CLIENT_STATE_NAMES[from]} -> ${CLIENT_STATE_NAMES[next] ?? next}`;
    return err(
      channelError(
        'illegal-client-state-transition',
        fieldName(kind),
        `${CLIENT_STATE_NAMES[from]} -> ${allowed}`,
        actual,
      ),
    );
  }
  Atomics.store(mem.i32, stateWord(kind), next);
  return ok(next);
}

/** Outcome of `spar_channel_client_acquire_os`. */
export type AcquireOutcome = 'acquired' | 'disabled' | 'not-attached' | 'busy';

/**
 * spar_channel_client_acquire_os (§1.3 steps 1–6): arbitration between the OS client and the
 * boot client around every insert/remove in Era A. Failure sets a throttle bit in cli_error_os.
 */
export function clientAcquireOs(mem: ChannelMemory): AcquireOutcome {
  const os = Atomics.load(mem.i32, stateWord('os'));
  const boot = Atomics.load(mem.i32, stateWord('boot'));
  if (os === CHANNELCLI_DISABLED) return throttle(mem, ULTRA_CLIERROR_DISABLED, 'disabled');
  if (os !== CHANNELCLI_OWNED && boot === CHANNELCLI_DISABLED) {
    Atomics.store(mem.i32, stateWord('os'), CHANNELCLI_OWNED);
    return clearErrors(mem, 'acquired');
  }
  if (os === CHANNELCLI_OWNED) return clearErrors(mem, 'acquired');
  if (os !== CHANNELCLI_ATTACHED) return throttle(mem, ULTRA_CLIERROR_NOTATTACHED, 'not-attached');
  Atomics.store(mem.i32, stateWord('os'), CHANNELCLI_BUSY);
  if (Atomics.load(mem.i32, stateWord('boot')) === CHANNELCLI_BUSY) {
    Atomics.store(mem.i32, stateWord('os'), CHANNELCLI_ATTACHED);
    return throttle(mem, ULTRA_CLIERROR_BUSY, 'busy');
  }
  return clearErrors(mem, 'acquired');
}

/** spar_channel_client_release_os: back to ATTACHED unless OWNED. */
export function clientReleaseOs(mem: ChannelMemory): void {
  mem.u8[CH.cliErrorOs] = 0;
  if (Atomics.load(mem.i32, stateWord('os')) !== CHANNELCLI_OWNED) {
    Atomics.store(mem.i32, stateWord('os'), CHANNELCLI_ATTACHED);
  }
}

function throttle(mem: ChannelMemory, bit: number, outcome: AcquireOutcome): AcquireOutcome {
  mem.u8[CH.cliErrorOs] = (mem.u8[CH.cliErrorOs] ?? 0) | bit;
  return outcome;
}

function clearErrors(mem: ChannelMemory, outcome: AcquireOutcome): AcquireOutcome {
  mem.u8[CH.cliErrorOs] = 0;
  return outcome;
}
