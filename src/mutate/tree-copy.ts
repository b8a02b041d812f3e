// A mutant is applied to a temporary copy of the tree, never to the working tree: the copy holds
// the sources (no .git, no build output, no saved failures) and a symlink to the real
// node_modules, so `spar` rebuilds its bundle from the mutated sources and vitest runs them.

import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { Edit } from './mutant.js';

/** Top-level entries never copied: the VCS, dependencies (linked instead), build and run output. */
const SKIPPED = new Set(['.git', 'node_modules', 'dist', 'failures', 'coverage']);

/** The copies that exist now, so that Ctrl-C can remove them. */
export const liveCopies = new Set<string>();

/** Copies the tree at `root` to a fresh temporary directory and returns its path. */
export function copyTree(root: string): string {
  const dest = mkdtempSync(join(tmpdir(), 'spar-mutant-'));
  liveCopies.add(dest);
  cpSync(root, dest, {
    recursive: true,
    filter: (src) => {
      const rel = relative(root, src);
      return rel === '' || !SKIPPED.has(rel.split(/[\\/]/)[0] ?? '');
    },
  });
  const modules = join(root, 'node_modules');
  if (existsSync(modules)) symlinkSync(realpathSync(modules), join(dest, 'node_modules'), 'dir');
  return dest;
}

/** Removes a copy made by `copyTree` (refuses anything else). */
export function removeCopy(dir: string): void {
  if (!basename(dir).startsWith('spar-mutant-')) throw new Error(`not a mutant copy: ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  liveCopies.delete(dir);
}

/** Why `edit` does not apply to `text` (its snippet occurs zero or several times), or null. */
export function whyNotApplicable(text: string, edit: Edit): string | null {
  const count = text.split(edit.search).length - 1;
  if (count === 1) return null;
  const where = count === 0 ? 'not found' : `found ${count} times`;
  return `${edit.file}: snippet ${where}: ${JSON.stringify(edit.search.slice(0, 60))}`;
}

/**
 * Applies `edits` in `dir`. Returns null when every edit applied, else why the patch does not
 * apply (the file is missing, or a snippet does not occur exactly once); nothing is written
 * then, so a copy is never half-patched.
 */
export function applyEdits(dir: string, edits: readonly Edit[]): string | null {
  const texts = new Map<string, string>();
  for (const edit of edits) {
    const path = join(dir, edit.file);
    if (!texts.has(path)) {
      if (!existsSync(path)) return `${edit.file}: no such file`;
      texts.set(path, readFileSync(path, 'utf8'));
    }
    const text = texts.get(path) ?? '';
    const why = whyNotApplicable(text, edit);
    if (why !== null) return why;
    texts.set(
      path,
      text.replace(edit.search, () => edit.replace),
    );
  }
  for (const [path, text] of texts) writeFileSync(path, text);
  return null;
}
