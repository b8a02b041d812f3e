import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code; property runners live in properties/ (STYLE §8).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'machines/**/*.test.ts', 'properties/**/*.test.ts'],
    testTimeout: 60_000,
    setupFiles: ['./vitest.setup.ts'],
  },
});
