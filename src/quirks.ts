// Named quirks (STYLE "Faithful"): upstream behaviour that differs from the correct one, modelled
// as an opt-in switch. The correct behaviour is the default; `--quirk NAME` switches one on, in
// `spar run` and `spar fuzz`. Later issues register theirs here (visorhba resume, recovery bugs).

/** A quirk: its name, the module it lives in, and what it changes. */
export interface Quirk {
  readonly name: string;
  readonly module: string;
  readonly description: string;
}

/** Every quirk, in `spar list` order. */
export const QUIRKS: readonly Quirk[] = [];

/** The unknown names among `names`. */
export function unknownQuirks(names: readonly string[], known: readonly Quirk[] = QUIRKS): string[] {
  return names.filter((n) => !known.some((q) => q.name === n));
}
