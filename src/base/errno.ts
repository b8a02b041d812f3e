// File-system refusals as values a user can read (STYLE §6 class 2: a path is the user's input):
// the errno code of a Node error, and a few words for it. Shared by `spar export`'s writer and
// the CLI's checks of output paths, so one refusal reads the same wherever it is met.

/** An errno error's code and the paths it names (`dest` for a rename). */
export interface Errno {
  readonly code: string;
  readonly path?: string;
  readonly dest?: string;
}

/** The errno part of `error`, or null when it is not a file-system refusal (then: a bug). */
export function errnoOf(error: unknown): Errno | null {
  if (!(error instanceof Error)) return null;
  const { code, path, dest } = error as NodeJS.ErrnoException & { dest?: unknown };
  if (typeof code !== 'string') return null;
  return {
    code,
    ...(typeof path === 'string' ? { path } : {}),
    ...(typeof dest === 'string' ? { dest } : {}),
  };
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'a directory stands where a file would be written',
  EEXIST: 'something else already exists there',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
  ETXTBSY: 'the file is a running program',
};

/** `permission denied (EACCES)`: the reason in words, then the code the user can look up. */
export function errnoReason(code: string): string {
  const words = REASONS[code];
  return words === undefined ? code : `${words} (${code})`;
}
