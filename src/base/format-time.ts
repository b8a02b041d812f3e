// How the human output writes a time: one formatter, so a fault note, a timeline line and an
// expectation's detail say the same instant the same way (docs/report.md "Times"). Worker runs
// read a real clock, whose readings are fractions of a millisecond (1578.619873046875); the
// output shows them to the microsecond. Machine output (`--json`, the trace file) keeps the
// numbers as they are.

/** Decimal places the human output keeps: microseconds. */
const DECIMALS = 3;

/** `ms` to the microsecond, trailing zeros dropped: `1578.62 ms`, `1501 ms`, `0.123 ms`. */
export function formatMs(ms: number): string {
  return `${trimmed(ms.toFixed(DECIMALS))} ms`;
}

/**
 * `ms` to the microsecond with every decimal kept and no unit (`1578.620`), for columns that
 * line up (the timeline's); negative zero prints as zero.
 */
export function formatMsFixed(ms: number): string {
  const text = ms.toFixed(DECIMALS);
  return Number(text) === 0 ? (0).toFixed(DECIMALS) : text;
}

/** A count of jiffies, the guest kernel's timer tick (docs/glossary.md): `1 jiffy`, `3 jiffies`. */
export function formatJiffies(jiffies: number): string {
  return `${jiffies} ${jiffies === 1 ? 'jiffy' : 'jiffies'}`;
}

function trimmed(fixed: string): string {
  const text = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}
