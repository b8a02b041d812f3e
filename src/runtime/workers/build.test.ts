// Workers start from the build (issue: "run from TypeScript sources, under vitest, and from a
// build"): the bundle bin/build.js writes runs `spar run` in worker threads under plain node,
// where spawnWorker starts the built partition.worker.js beside the chunks directly.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../base/package-root.js';

const root = packageRoot();
const out = join(root, 'node_modules', '.cache', 'spar-build-test');
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('a build', () => {
  test('bundled by bin/build.js, `node <out>/main.js run` boots the default scenario in worker threads and passes', () => {
    const buildUrl = pathToFileURL(join(root, 'bin', 'build.js')).href;
    const build = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { build } = await import(${JSON.stringify(buildUrl)}); await build(process.argv[1]);`,
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(build.stdout + build.stderr).toBe('');
    const run = spawnSync(
      process.execPath,
      [join(out, 'main.js'), 'run', '--json', '--until', '300ms'],
      { encoding: 'utf8', cwd: root, timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { runtime: string; verdict: string };
    expect(report).toMatchObject({ runtime: 'workers', verdict: 'pass' });
  }, 120_000);
});
