// The shape of a mutant (issue #14 item 5): a small named patch of one recovery rule, as exact
// search/replace edits on short, stable snippets, and the checks expected to kill it. A snippet
// that no longer occurs exactly once is reported as "patch does not apply", never skipped silently,
// so a catalogue entry that other work has moved under it shows up at the next run.

/** One exact edit: `search` must occur exactly once in `file` (relative to the tree's root). */
export interface Edit {
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

/** A check that may kill a mutant: it kills when it fails (any non-zero exit but 2). */
export type Killer =
  /** `spar fuzz PROPERTY --runs N --seed S` (N: the killer's `runs`, else the run's budget). */
  | { readonly kind: 'fuzz'; readonly property: string; readonly runs?: number }
  /** `spar fuzz PROPERTY --check-determinism`: the determinism suite. */
  | { readonly kind: 'determinism'; readonly property: string; readonly runs?: number }
  /** `spar run scenarios/NAME.yaml --runtime sim --seed S`: a shipped scenario (default seed 1). */
  | { readonly kind: 'run'; readonly scenario: string; readonly seed?: number }
  /** `vitest run FILE`: a test file that reaches what no property can (threads, the scheduler). */
  | { readonly kind: 'test'; readonly file: string }
  /**
   * A property's quirk canary: the test of FILE named `test` (`vitest run FILE -t TEST`), which
   * asserts that the property finds a seeded bug, and by which promise. It kills a mutant that
   * weakens a check so far that the property no longer sees the seeded bug for what it is.
   */
  | {
      readonly kind: 'canary';
      readonly quirk: string;
      readonly file: string;
      readonly test: string;
    }
  /** Any command, run in the tree's root (the runner's own tests use it). */
  | { readonly kind: 'command'; readonly label: string; readonly argv: readonly string[] };

/** A mutant of the catalogue. */
export interface Mutant {
  /** Kebab-case name, used by `npm run mutate -- --only NAME`. */
  readonly name: string;
  /** The rule it breaks, in words. */
  readonly breaks: string;
  readonly edits: readonly Edit[];
  /** Properties, scenarios (and, where only they can see it, stress tests) tried in order. */
  readonly killers: readonly Killer[];
  /** Unit tests that kill it, run only with `--unit` and reported apart. */
  readonly unitTests: readonly string[];
}
