#!/usr/bin/env node
// The `spar` command. It runs the JavaScript bundle in dist/, built by `npm install` and rebuilt
// here first whenever dist/ is missing or older than any source (bin/build.js), so a developer
// who edits src/ never runs stale code. Tests and vitest run the TypeScript sources directly.
import { ensureBuilt } from './build.js';

await ensureBuilt();
await import('../dist/main.js');
