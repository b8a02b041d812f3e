// Frames on their way to one destination of the IOSP's NIC server (nic-server.ts): the wire
// between the switch and a guest's port, or between an uplink and the outside behind it.

import type { Environment } from '../../partition/environment.js';
import type { ServerTimers } from '../../partition/served-channel.js';

/**
 * Frames on their way to one destination, delivered in the order sent (as on one wire): each
 * arrives after its delay but never before the one ahead of it. One timer serves the head, so the
 * sim runtime's shuffling of same-instant events cannot reorder them.
 */
export class Wire {
  private readonly queue: { readonly atMs: number; readonly arrive: () => void }[] = [];
  /** The head's timer is pending. */
  private armed = false;

  constructor(
    private readonly env: Environment,
    private readonly label: string,
    /** The server's timers (cancelled when the IOSP stops). */
    private readonly timers: ServerTimers,
    /** The channel whose guest port this wire feeds, if any (its timers go with its guest). */
    private readonly owner?: string,
  ) {}

  send(delayMs: number, arrive: () => void): void {
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ atMs: Math.max(this.env.now() + delayMs, last?.atMs ?? 0), arrive });
    if (!this.armed) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    this.timers.schedule(
      Math.max(0, head.atMs - this.env.now()),
      this.label,
      () => {
        this.armed = false;
        while (this.queue.length > 0 && (this.queue[0]?.atMs ?? Infinity) <= this.env.now())
          this.queue.shift()?.arrive();
        this.arm();
      },
      this.owner,
    );
    this.armed = true;
  }
}
