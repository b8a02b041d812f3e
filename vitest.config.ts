import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code; property runners live in properties/ (STYLE §8).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'machines/**/*.test.ts', 'properties/**/*.test.ts'],
    testTimeout: 60_000,
    // Hooks that run whole scenarios (report-schema.test.ts) share the CPU with other files.
    hookTimeout: 120_000,
    setupFiles: ['./vitest.setup.ts'],
  },
});
