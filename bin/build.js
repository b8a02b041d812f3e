#!/usr/bin/env node
// The build that `spar` runs from: esbuild bundles the CLI and the partition worker, with their
// dependencies, into dist/ (main.js, partition.worker.js and the chunks they share). Run as
// `npm run build`, by `npm install` (the `prepare` script), and by bin/spar.js whenever dist/ is
// missing or older than a source, so an edit in src/ is never run stale.
//
// Choice: one bundle rather than one file per module. Node's ESM loader pays for every module it
// resolves, reads and links; spar reaches some 220 of its own and hundreds in zod, xstate and
// yaml, so a per-file build still took 0.6 s for `spar --help` and the bundle takes 0.3 s
// (docs/performance.md#start-up).
// The chunks sit flat in dist/ beside partition.worker.js, so spawnWorker's
// `new URL('./partition.worker.js', import.meta.url)` finds the worker from any chunk, and
// packageRoot() walks up from dist/ to package.json as it does from src/.
// Plain JavaScript so that it runs before anything is built.

import { mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where `spar` runs from. */
export const DIST = join(ROOT, 'dist');
const ENTRY_POINTS = {
  main: 'src/cli/main.ts',
  'partition.worker': 'src/runtime/workers/partition.worker.ts',
};
// Everything the bundle is made of: the sources, the build itself and the installed dependencies
// (npm rewrites node_modules/.package-lock.json on every install).
const SOURCE_DIRS = ['src', 'machines', 'properties'];
const SOURCE_FILES = ['package.json', 'bin/build.js', 'node_modules/.package-lock.json'];

function mtimeMsOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newestMtimeMsUnder(dir) {
  let newest = mtimeMsOf(dir);
  if (newest === 0) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, mtimeMsOf(join(entry.parentPath, entry.name)));
  }
  return newest;
}

/** True when `outDir` holds a build newer than every source (a few ms: one stat per source). */
export function isFresh(outDir = DIST) {
  const builtMs = mtimeMsOf(join(outDir, 'main.js'));
  if (builtMs === 0) return false;
  const sources = [
    ...SOURCE_DIRS.map((dir) => newestMtimeMsUnder(join(ROOT, dir))),
    ...SOURCE_FILES.map((file) => mtimeMsOf(join(ROOT, file))),
  ];
  return sources.every((ms) => ms <= builtMs);
}

/** A build failure, with a one-line message. */
export class BuildError extends Error {
  name = 'BuildError';
}

function firstErrorLine(error) {
  const first = error?.errors?.[0];
  if (first === undefined) return error instanceof Error ? error.message : String(error);
  const at = first.location
    ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
    : '';
  const more = error.errors.length > 1 ? ` (and ${error.errors.length - 1} more error(s))` : '';
  return `${at}${first.text}${more}`;
}

async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    throw new BuildError('esbuild is not installed: run npm install');
  }
}

/**
 * Builds into a private folder, then renames each file into `outDir`, entries last, and removes
 * what an earlier build left: two `spar` started at once on a stale tree never read a
 * half-written file. Every output gets the build's start time as mtime, so a source saved
 * during the build still counts as newer. Throws BuildError.
 */
export async function build(outDir = DIST) {
  const { build: esbuild } = await loadEsbuild();
  const startedAt = new Date();
  const staging = join(outDir, `.staging-${process.pid}`);
  try {
    await esbuild({
      absWorkingDir: ROOT,
      entryPoints: ENTRY_POINTS,
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      sourcemap: 'linked',
      keepNames: true,
      // CommonJS dependencies (commander, cli-progress) call require() on Node's modules.
      banner: {
        js: "import { createRequire as __sparCreateRequire } from 'node:module'; const require = __sparCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new BuildError(firstErrorLine(error));
  }
  try {
    publish(staging, outDir, startedAt);
  } catch (error) {
    // A folder spar may not write (a read-only install) is a one-line failure too.
    if (typeof error?.code !== 'string') throw error;
    throw new BuildError(`${error.code}: ${error.path ?? outDir}`);
  }
}

function publish(staging, outDir, startedAt) {
  const isEntry = (file) => Object.keys(ENTRY_POINTS).some((name) => file.startsWith(`${name}.`));
  const files = readdirSync(staging);
  const ordered = [...files.filter((f) => !isEntry(f)), ...files.filter(isEntry)];
  mkdirSync(outDir, { recursive: true });
  for (const file of ordered) {
    utimesSync(join(staging, file), startedAt, startedAt);
    renameSync(join(staging, file), join(outDir, file));
  }
  rmSync(staging, { recursive: true, force: true });
  for (const old of readdirSync(outDir)) {
    if (!files.includes(old) && !isStagingOfLiveBuild(old)) {
      rmSync(join(outDir, old), { recursive: true, force: true });
    }
  }
}

// Another build's staging folder is left alone while its process runs.
function isStagingOfLiveBuild(file) {
  const pid = Number(/^\.staging-(\d+)$/.exec(file)?.[1]);
  if (!Number.isInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

// A failed build is one line on stderr, `<who>: build of dist/ failed: <file:line:col: what>`.
async function buildOrExit(who, outDir) {
  try {
    await build(outDir);
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    process.stderr.write(`${who}: build of dist/ failed: ${error.message}\n`);
    process.exit(3);
  }
}

/** Builds dist/ unless it is fresh; on failure prints one line and exits 3. */
export async function ensureBuilt() {
  if (!isFresh()) await buildOrExit('spar', DIST);
}

// `node bin/build.js` (`npm run build`, `prepare`) always builds.
if (process.argv[1] === fileURLToPath(import.meta.url)) await buildOrExit('build', DIST);
