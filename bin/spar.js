#!/usr/bin/env node
// The `spar` command. Choice: spar-sim runs from its TypeScript sources through tsx (a runtime
// dependency), so a fresh clone needs only `npm install`: no build step, and the same files
// run in the CLI, in worker threads and under vitest.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
