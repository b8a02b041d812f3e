// Starting a worker thread from TypeScript sources or from built JavaScript with one call
// (reference/stack.md §3, pitfall 1).
//
// Why a trampoline: Node 20 workers ignore `--import` in `execArgv` (nodejs/node#47747,
// privatenumber/tsx#354), so `new Worker('x.ts', { execArgv: ['--import', 'tsx'] })` fails with
// ERR_UNKNOWN_FILE_EXTENSION under tsx, `node --import tsx` and vitest alike. What works is an
// eval'd ESM snippet that calls tsx's `register()` *inside* the worker and then imports the `.ts`
// entry. A built `.js` entry needs none of that and is started directly, so the same call works
// under tsx, vitest and plain `node dist/...`.
//
// Not `tsImport()`: it tags module URLs with `?tsx-namespace=…`, which would load a second copy
// of every module the entry shares with its imports.

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { assert } from '../../base/assert.js';

// Resolved once, to an absolute URL, so the worker finds tsx whatever its cwd is.
let tsxApiUrl: string | undefined;

/**
 * Starts worker `name` (a path relative to `callerUrl`, without extension, e.g.
 * `'./test-workers/queue-consumer.worker'`). Pass the caller's `import.meta.url`: when the caller
 * is a `.ts` file the `.ts` entry is loaded through tsx, otherwise the `.js` entry runs as is.
 */
export function spawnWorker(name: string, callerUrl: string, opts: WorkerOptions = {}): Worker {
  assert(!/\.[cm]?[jt]sx?$/.test(name), `worker name ${name} must not carry an extension`);
  const fromSource = /\.[cm]?tsx?$/.test(new URL(callerUrl).pathname);
  if (!fromSource) return new Worker(new URL(`${name}.js`, callerUrl), opts);
  const entry = new URL(`${name}.ts`, callerUrl).href;
  tsxApiUrl ??= import.meta.resolve('tsx/esm/api');
  // `m.default.register` covers a CommonJS-shaped namespace; the ESM build exports `register`.
  const code =
    `import(${JSON.stringify(tsxApiUrl)}).then((m) => { (m.register ?? m.default.register)();` +
    ` return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...opts, eval: true });
}
