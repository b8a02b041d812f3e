// Whether `spar` colours its output, from the environment and whether stdout is a terminal
// (issue 13, item 7). The rules are no-color.org's and those of the Node colour libraries
// (supports-color, used by chalk; Node's own FORCE_COLOR):
//
// 1. FORCE_COLOR decides when it holds a known value: `0` or `false` turn colour off; `1`, `2`,
//    `3`, `true` or empty turn it on, even off a terminal. Node's tty and supports-color let it
//    override NO_COLOR. Any other value is ignored, as supports-color ignores it.
// 2. NO_COLOR set to a non-empty value turns colour off; an empty NO_COLOR does not
//    (no-color.org: "when present and not an empty string").
// 3. TERM=dumb turns colour off, as supports-color does.
// 4. Otherwise colour exactly when stdout is a terminal.
//
// `--no-color` on a command still wins over all of these: program.ts ands it with this answer.

/** The environment variables the decision reads. */
export type ColourEnv = Readonly<Record<string, string | undefined>>;

/** True when output may be coloured; `isTTY` says whether stdout is a terminal. */
export function colourFromEnv(env: ColourEnv, isTTY: boolean): boolean {
  const forced = forceColour(env['FORCE_COLOR']);
  if (forced !== undefined) return forced;
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return isTTY;
}

// supports-color's reading of FORCE_COLOR: a level 0–3 (larger numbers count as 3), `true`,
// `false` or empty; undefined when unset or not one of those.
function forceColour(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'true') return true;
  if (value === 'false') return false;
  const level = Number.parseInt(value, 10);
  if (Number.isNaN(level) || level < 0) return undefined;
  return level > 0;
}
