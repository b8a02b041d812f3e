// Timeline entries the demo's partitions report to the main thread. This is control-plane
// traffic (what happened, for the reader); channel data never travels this way.

/** One line of the timeline. */
export interface TimelineEntry {
  /** Milliseconds since the run started. */
  readonly atMs: number;
  /** Which partition saw it. */
  readonly partition: string;
  readonly text: string;
}

/** Messages a demo worker posts to the main thread. */
export type DemoReport =
  | { readonly kind: 'timeline'; readonly entry: TimelineEntry }
  | { readonly kind: 'done'; readonly partition: string; readonly result: Record<string, unknown> };

/** Formats one timeline line. */
export function formatEntry(entry: TimelineEntry, colour: boolean): string {
  const time = `+${entry.atMs.toFixed(3).padStart(8)} ms`;
  const who = entry.partition.padEnd(6);
  const tint = entry.partition === 'cp' ? '\u001b[36m' : '\u001b[33m';
  return colour ? `\u001b[2m${time}\u001b[0m  ${tint}${who}\u001b[0m  ${entry.text}` : `${time}  ${who}  ${entry.text}`;
}
