// bin/spar.js runs dist/ and rebuilds it first when it is missing or older than a source, so a
// developer who edits src/ never runs stale code; a build that fails is one line and exit 3.
// Each test runs the real bin/spar.js and bin/build.js in a throwaway package whose two entry
// points are one-liners (esbuild resolves from node_modules above it).

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../base/package-root.js';

const root = packageRoot();
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const scratch = mkdtempSync(join(cache, 'spar-bin-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let packages = 0;
/** A package with spar's bin/ and package.json and a main.ts whose text is `main`. */
function fixture(main: string): string {
  const dir = join(scratch, `p${packages++}`);
  cpSync(join(root, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'src', 'runtime', 'workers'), { recursive: true });
  writeFileSync(join(dir, 'src', 'runtime', 'workers', 'partition.worker.ts'), 'export {};\n');
  writeMain(dir, main, new Date(Date.now() - 60_000));
  return dir;
}

function writeMain(dir: string, text: string, mtime: Date): void {
  const file = join(dir, 'src', 'cli', 'main.ts');
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  writeFileSync(file, text);
  utimesSync(file, mtime, mtime);
}

function spar(dir: string) {
  return spawnSync(process.execPath, [join(dir, 'bin', 'spar.js')], { encoding: 'utf8' });
}

describe('bin/spar.js', () => {
  test('builds dist/ on first use, runs it, and rebuilds only after a source changes', () => {
    const dir = fixture("const said: string = 'v1';\nconsole.log(said);\n");
    expect(spar(dir)).toMatchObject({ status: 0, stdout: 'v1\n', stderr: '' });
    const builtMs = statSync(join(dir, 'dist', 'main.js')).mtimeMs;

    expect(spar(dir)).toMatchObject({ status: 0, stdout: 'v1\n' });
    expect(statSync(join(dir, 'dist', 'main.js')).mtimeMs).toBe(builtMs);

    writeMain(dir, "console.log('v2');\n", new Date(builtMs + 1000));
    expect(spar(dir)).toMatchObject({ status: 0, stdout: 'v2\n', stderr: '' });
  }, 60_000);

  test('a source that does not compile is one line naming its place, exit 3, and nothing runs', () => {
    const dir = fixture("console.log('ran');\nconst broken = ;\n");
    const result = spar(dir);
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^spar: build of dist\/ failed: src\/cli\/main\.ts:2:16: [^\n]+\n$/,
    );
  }, 60_000);
});
