// Writes export files into a directory, each atomically (issue: CLI, `spar export`): all files go
// into a fresh temporary directory inside the target first (same file system), then each is
// renamed over its final name, so a reader never sees a half-written file. Files of the same
// name are replaced, everything else in the directory is left alone, and the temporary directory
// is removed whatever happens. File-system failures (a path that is a file, no permission, a
// read-only or full disk) are returned as values: the directory is the user's input (STYLE §6).

import { lstat, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { err, ok, type Result } from '../base/result.js';
import { assert } from '../base/assert.js';
import { errnoOf, errnoReason } from '../base/errno.js';

/** A file to write: a plain file name (no directory part) and its text. */
export interface FileToWrite {
  readonly name: string;
  readonly content: string;
}

/** Why the files could not be written. */
export interface WriteError {
  /** The errno code (`EACCES`, `ENOTDIR`, ...). */
  readonly code: string;
  /** The path the failing operation was about. */
  readonly path: string;
  /** One line, for the user. */
  readonly message: string;
}

const TEMP_PREFIX = '.spar-export-';

/**
 * Writes `files` into `dir` (created if missing, but not its parents: `spar export` checks and
 * creates them first with checkWritableDir); the names written, in order.
 */
export async function writeFilesAtomically(
  dir: string,
  files: readonly FileToWrite[],
): Promise<Result<readonly string[], WriteError>> {
  for (const file of files) {
    assert(file.name !== '' && file.name === basename(file.name), `not a file name: ${file.name}`);
  }
  const ready = await ensureDirectory(dir);
  if (!ready.ok) return ready;
  const blocked = await firstDirectoryInTheWay(dir, files);
  if (blocked !== null) return err(blocked);
  let temp: string | null = null;
  try {
    temp = await mkdtemp(join(dir, TEMP_PREFIX));
    for (const file of files) await writeFile(join(temp, file.name), file.content, 'utf8');
    for (const file of files) await rename(join(temp, file.name), join(dir, file.name));
    return ok(files.map((f) => f.name));
  } catch (error) {
    return err(writeError(error, dir, temp));
  } finally {
    if (temp !== null) await rm(temp, { recursive: true, force: true });
  }
}

async function ensureDirectory(dir: string): Promise<Result<null, WriteError>> {
  try {
    const info = await stat(dir);
    if (info.isDirectory()) return ok(null);
    return err({ code: 'ENOTDIR', path: dir, message: `'${dir}' is a file, not a directory` });
  } catch (error) {
    if (errnoOf(error)?.code !== 'ENOENT') return err(writeError(error, dir, null));
  }
  // Not `recursive`: Node's recursive mkdir retries forever where a parent exists but refuses
  // children with ENOENT (/proc), which is how `spar export --out /proc/x` spun at 100% CPU.
  try {
    await mkdir(dir);
    return ok(null);
  } catch (error) {
    return err(writeError(error, dir, null));
  }
}

// A directory where a file would go makes its rename fail; finding it first keeps the other
// files from being replaced by an export that then stops half-way.
async function firstDirectoryInTheWay(
  dir: string,
  files: readonly FileToWrite[],
): Promise<WriteError | null> {
  for (const file of files) {
    const path = join(dir, file.name);
    const info = await lstat(path).catch(() => null);
    if (info?.isDirectory() !== true) continue;
    return {
      code: 'EISDIR',
      path,
      message: `cannot write '${path}': ${errnoReason('EISDIR')}`,
    };
  }
  return null;
}

// The path is the one the user knows: a file in the temporary directory is named by its final
// path, the temporary directory itself by the target directory, and a failed rename by its
// destination.
function writeError(error: unknown, dir: string, temp: string | null): WriteError {
  const errno = errnoOf(error);
  if (errno === null) throw error; // not a file-system refusal: a bug, reported as internal
  const raw = errno.dest ?? errno.path ?? dir;
  const inTemp = temp !== null && raw.startsWith(temp);
  const path = inTemp
    ? join(dir, raw.slice(temp.length))
    : basename(raw).startsWith(TEMP_PREFIX)
      ? dir
      : raw;
  return { code: errno.code, path, message: `cannot write '${path}': ${errnoReason(errno.code)}` };
}
