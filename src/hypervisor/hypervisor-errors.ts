// Typed errors of the hypervisor's control API (STYLE §6 class 2): asking for a partition the
// configuration does not have, or for a lifecycle change the partition's state does not allow
// (crashing a partition that is off), is a user's mistake, answered with a value, never thrown.

import type { PartitionLifecycleState } from '../../machines/partition-lifecycle.machine.js';

/** A lifecycle change a user (scenario, CLI, fault injector, test) can ask for. */
export type LifecycleRequest = 'boot' | 'crash' | 'reboot' | 'hang' | 'shutdown';

/** Anything the hypervisor can be asked: a lifecycle change or a query. */
export type HypervisorRequest = LifecycleRequest | 'state' | 'lifecycle';

/** What was wrong with a request. */
export type HypervisorErrorCode =
  /** No partition of that name in the configuration. */
  | 'unknown-partition'
  /** The partition's lifecycle state does not allow the request (the state is given). */
  | 'illegal-request'
  /** A reboot's down time is not a non-negative safe integer of milliseconds. */
  | 'bad-down-time';

/** A typed hypervisor error: never thrown, always returned. */
export interface HypervisorError {
  readonly code: HypervisorErrorCode;
  readonly partition: string;
  readonly request: HypervisorRequest;
  /** The partition's lifecycle state when the request was refused (`illegal-request`). */
  readonly state?: PartitionLifecycleState;
  /** One line for a human: code, what is wrong, and which partition. */
  readonly message: string;
}

/** `unknown-partition` for `request` on `partition`. */
export function unknownPartition(partition: string, request: HypervisorRequest): HypervisorError {
  const message = `unknown-partition: no partition "${partition}" in the configuration`;
  return { code: 'unknown-partition', partition, request, message };
}

/** `illegal-request`: `request` is not allowed while `partition` is in `state`. */
export function illegalRequest(
  partition: string,
  request: LifecycleRequest,
  state: PartitionLifecycleState,
): HypervisorError {
  const message = `illegal-request: cannot ${request} "${partition}" while it is ${state}`;
  return { code: 'illegal-request', partition, request, state, message };
}

/** `bad-down-time`: a reboot of `partition` asked for `downMs`. */
export function badDownTime(partition: string, downMs: number): HypervisorError {
  const message = `bad-down-time: reboot of "${partition}" needs whole ms >= 0, got ${downMs}`;
  return { code: 'bad-down-time', partition, request: 'reboot', message };
}
