// Output paths checked before a command starts (issue 13, item 3): a `--trace`, `--out` or
// `--failures` path that cannot be written is a one-line usage error at once, not a surprise at
// the end of a long run. A check creates nothing and changes nothing the user already has: an
// existing file is probed by opening it for append (never truncated), a new one by access(2) on
// its directory; only checkWritableDir with `create` makes the missing directory levels.
//
// Kernel file systems (/proc, /sys, ...) are refused by their statfs(2) type: they accept no
// new files (mkdir answers ENOENT under /proc, which sent Node's recursive mkdir, and with it
// `spar export --out /proc/x`, into an endless loop), and writing an existing entry there would
// change the running kernel rather than save a file.

import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  type Stats,
  statfsSync,
  statSync,
} from 'node:fs';
import { platform } from 'node:os';
import { dirname, resolve } from 'node:path';
import { errnoOf, errnoReason } from '../base/errno.js';
import { UsageError } from './usage-error.js';

/** Linux statfs(2) f_type magic numbers of kernel file systems, which hold no user files. */
const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
]);

type Fail = (reason: string) => UsageError;

/**
 * Throws a one-line UsageError (`cannot write '<path>': <reason>`, naming `flag`) unless `path`
 * can be written as a file: an existing regular file that opens for append, a device or pipe
 * the user may write (`/dev/null`), or a new name in an existing, writable directory.
 * Refused: an empty path, a missing directory, a file where a directory should be, a
 * directory, a socket, no permission or a read-only file system, a kernel file system.
 * Creates nothing and truncates nothing.
 */
export function checkWritableFile(path: string, flag: string): void {
  if (path === '') throw new UsageError('the file name is empty', flag);
  const fail = refusal(path, flag);
  const info = statOrNull(path, fail);
  if (info === null) {
    const parent = dirname(resolve(path));
    const found = nearestExisting(parent, fail);
    if (!found.info.isDirectory()) throw fail(`'${found.at}' is a file, not a directory`);
    if (found.at !== parent) throw fail(`the directory '${dirname(path)}' does not exist`);
    refuseKernelFileSystem(parent, fail);
    probeAccess(parent, constants.W_OK | constants.X_OK, fail);
    return;
  }
  if (info.isDirectory()) throw fail('it is a directory');
  if (info.isSocket()) throw fail('it is a socket');
  if (!info.isFile()) {
    probeAccess(path, constants.W_OK, fail);
    return;
  }
  refuseKernelFileSystem(path, fail);
  probeAppend(path, fail);
}

/**
 * Throws a one-line UsageError (`cannot write '<path>': <reason>`, naming `flag`) unless files
 * can be written in directory `path`: it exists and is writable, or (when missing) its nearest
 * existing ancestor is a writable directory. With `create`, the missing levels are then made,
 * one mkdir(2) each (never Node's recursive mkdir, see above). Without it, nothing is created.
 */
export function checkWritableDir(
  path: string,
  flag: string,
  options: { readonly create?: boolean } = {},
): void {
  if (path === '') throw new UsageError('the directory name is empty', flag);
  const fail = refusal(path, flag);
  const { at, info, missing } = nearestExisting(resolve(path), fail);
  if (!info.isDirectory()) {
    throw fail(
      missing.length === 0 ? 'it is a file, not a directory' : `'${at}' is a file, not a directory`,
    );
  }
  refuseKernelFileSystem(at, fail);
  probeAccess(at, constants.W_OK | constants.X_OK, fail);
  if (options.create !== true) return;
  for (const level of [...missing].reverse()) makeDirectory(level, fail);
}

function refusal(path: string, flag: string): Fail {
  return (reason) => new UsageError(`cannot write '${path}': ${reason}`, flag);
}

/** The closest existing path at or above `absolute`, and the missing levels below it. */
function nearestExisting(
  absolute: string,
  fail: Fail,
): { at: string; info: Stats; missing: string[] } {
  const missing: string[] = [];
  let at = absolute;
  let info = statOrNull(at, fail);
  // Bounded: each step goes one level up, and `/` (whose dirname is itself) always exists.
  while (info === null) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) throw fail(errnoReason('ENOENT'));
    at = up;
    info = statOrNull(at, fail);
  }
  return { at, info, missing };
}

// null when nothing is there; ENOTDIR (a file in the middle of the path) counts as nothing, so
// the walk up finds that file and names it.
function statOrNull(path: string, fail: Fail): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOTDIR') return null;
    throw fail(errnoReason(code));
  }
}

function refuseKernelFileSystem(path: string, fail: Fail): void {
  if (platform() !== 'linux') return;
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (error) {
    throw fail(errnoReason(codeOf(error)));
  }
  const name = KERNEL_FILE_SYSTEMS.get(type);
  if (name !== undefined)
    throw fail(`it is on the kernel's ${name} file system, not a place for files`);
}

function probeAccess(path: string, mode: number, fail: Fail): void {
  try {
    accessSync(path, mode);
  } catch (error) {
    throw fail(errnoReason(codeOf(error)));
  }
}

// O_APPEND without O_CREAT or O_TRUNC: opens an existing file for writing without changing it.
function probeAppend(path: string, fail: Fail): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_APPEND));
  } catch (error) {
    throw fail(errnoReason(codeOf(error)));
  }
}

function makeDirectory(path: string, fail: Fail): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = codeOf(error);
    // Someone else made it meanwhile: fine, as long as it is a directory.
    if (code === 'EEXIST' && statOrNull(path, fail)?.isDirectory() === true) return;
    throw fail(errnoReason(code));
  }
}

// Anything but an errno error is a bug in spar-sim, not the user's path: let it escape (exit 3).
function codeOf(error: unknown): string {
  const errno = errnoOf(error);
  if (errno === null) throw error;
  return errno.code;
}
