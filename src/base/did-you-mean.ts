// "Did you mean": the known name closest to a misspelt one, for the one-line errors of scenario
// files (a `when:` event `BOOTD`, a segment `bleu`). Closeness is the edit distance with
// transpositions (optimal string alignment), as command-line tools use for their suggestions.

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // Rows i-2, i-1 and i of the table, each b.length + 1 long.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      row.push(best);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * The name of `known` closest to `name`, if one is close enough to be a slip: at most a third of
 * its length in edits (at least one), case ignored. Of names equally close, one that `name` misses
 * only letters of wins (`BOOTD` → `BOOTED`, not `BOOT`: a dropped key is the commonest slip), then
 * the first in `known`.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: { name: string; score: number } | undefined;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(typed, lower);
    if (distance > limit) continue;
    // Half an edit better when only letters are missing.
    const score = distance * 2 - (isSubsequence(typed, lower) ? 1 : 0);
    if (best === undefined || score < best.score) best = { name: candidate, score };
  }
  return best?.name;
}

// Whether every letter of `part` appears in `whole`, in order.
function isSubsequence(part: string, whole: string): boolean {
  let i = 0;
  for (const c of whole) if (c === part[i]) i++;
  return i === part.length;
}

/** ` (did you mean "X"?)` when a name of `known` is close to `name`, else the empty string. */
export function didYouMean(name: string, known: readonly string[]): string {
  const close = closestName(name, known);
  return close === undefined || close === name ? '' : ` (did you mean "${close}"?)`;
}
