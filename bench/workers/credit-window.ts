// A counting semaphore for the benchmark producers: at most `size` signals (or calls) in flight.
// A counter plus one parked resolver costs O(1) per signal; Promise.race over the pending set
// costs O(in flight) and made pipelining look slower than awaiting each call (stack.md pitfall 15).

/** Credits for signals in flight; `take` waits while none are left. */
export class CreditWindow {
  private credits: number;
  private wake: (() => void) | null = null;

  constructor(readonly size: number) {
    this.credits = size;
  }

  /**
   * Takes a credit at once and returns null, or returns a promise that takes one when it comes.
   * Callers await only a non-null result: awaiting on every signal would add a microtask per
   * signal and slow the baselines this bench compares against.
   */
  take(): Promise<void> | null {
    if (this.credits > 0) {
      this.credits--;
      return null;
    }
    return this.takeLater();
  }

  private async takeLater(): Promise<void> {
    while (this.credits === 0) await this.creditArrives();
    this.credits--;
  }

  /** Returns `count` credits (a signal was delivered, a call settled). */
  give(count = 1): void {
    this.credits += count;
    const resume = this.wake;
    this.wake = null;
    resume?.();
  }

  /** Waits until every credit is back: everything sent has been delivered. */
  async drain(): Promise<void> {
    while (this.credits < this.size) await this.creditArrives();
  }

  private creditArrives(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}
