// Durations in scenario files: a number of milliseconds, or a string with a unit ("250ms",
// "1.5s", "2m"). Virtual milliseconds in the sim runtime, wall milliseconds in workers.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, min: 60_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)$/;

/** Milliseconds of `text`, or null when it is not a duration. Whole milliseconds only. */
export function parseDuration(text: string | number): number | null {
  const ms = typeof text === 'number' ? text : fromString(text.trim());
  if (ms === null || !Number.isFinite(ms) || ms < 0) return null;
  return Number.isSafeInteger(ms) ? ms : null;
}

function fromString(text: string): number | null {
  const match = PATTERN.exec(text);
  if (match === null) return null;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN) * 1000) / 1000;
}

/** A short human form: 250ms, 1.5s, 2m. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
