// Workers start from a build too (issue: "run from TypeScript sources, under vitest, and from a
// build"): the project compiled with tsconfig.build.json runs `spar run` in worker threads under
// plain node, where spawnWorker starts the built `.js` worker entries directly.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../base/package-root.js';

const root = packageRoot();
const out = join(root, 'node_modules', '.cache', 'spar-build-test');
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('a build', () => {
  test('compiled with tsc, `node dist/src/cli/main.js run` boots the default scenario in worker threads and passes', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const build = spawnSync(
      process.execPath,
      [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out],
      { encoding: 'utf8' },
    );
    expect(build.stdout + build.stderr).toBe('');
    const run = spawnSync(
      process.execPath,
      [join(out, 'src/cli/main.js'), 'run', '--json', '--until', '300ms'],
      { encoding: 'utf8', cwd: root, timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { runtime: string; verdict: string };
    expect(report).toMatchObject({ runtime: 'workers', verdict: 'pass' });
  }, 120_000);
});
