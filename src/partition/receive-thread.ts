// The Era A receive thread of a virtual IO device (spar-protocol.md §4.6 virthba, §4.7 virtnic):
// woken by the IOSP's doorbell, and otherwise every RESPONSE_POLL_MS (`rsltq_wait_usecs` 4000 µs)
// while the stack has something to wait for; each wake-up is a CHANNEL_INTERRUPT to the driver.
// Shared by the storage and network stacks (their headers say when each is busy and why an idle
// thread's timed wake-ups may be skipped).

import type { AnyActorRef } from 'xstate';
import type { Doorbell } from '../channel/index.js';
import type { Environment } from './environment.js';

/** Era A's receive-thread wait (§4.6 `rsltq_wait_usecs` 4000 µs). */
export const RESPONSE_POLL_MS = 4;

/** One device's receive thread. */
export class ReceiveThread {
  private readonly stopListening: () => void;
  private timer: { id: number } | null = null;
  private stopped = false;

  constructor(
    private readonly env: Environment,
    bell: Doorbell,
    private readonly driver: AnyActorRef,
    /** Timer label (trace and scheduler). */
    private readonly label: string,
    /** Whether the stack still waits for something: the timed wake-ups go on while it does. */
    private readonly busy: () => boolean,
  ) {
    // A ring a doorbell-lost fault took costs one poll period, as the real thread's timed wait
    // would (the idle thread's skipped wake-ups would have found the work).
    this.stopListening = env.onRing(
      bell,
      'client',
      () => this.wake(),
      () => this.arm(),
    );
  }

  /** Something went out: make sure a timed wake-up is armed. */
  arm(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = this.env.schedule(RESPONSE_POLL_MS, this.label, () => {
      this.timer = null;
      this.wake();
      if (this.busy()) this.arm();
    });
  }

  /** The guest stopped or the device went: no more wake-ups. */
  stop(): void {
    this.stopped = true;
    this.stopListening();
    if (this.timer !== null) this.env.cancel(this.timer);
    this.timer = null;
  }

  private wake(): void {
    this.driver.send({ type: 'CHANNEL_INTERRUPT' });
  }
}
