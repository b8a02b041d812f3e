import { describe, expect, test } from 'vitest';
import { runChannelDemo } from './channel-demo.js';

describe('channel demo', () => {
  test('smoke: in two worker threads every command is acked once and answered, and the unknown id is refused', async () => {
    const outcome = await runChannelDemo(false);
    expect(outcome.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(outcome.pass).toBe(true);
    expect(outcome.lines.some((l) => l.includes('guest   -> q3  ack CONTROLVM_BUS_CREATE handle=2'))).toBe(true);
    expect(outcome.lines.some((l) => l.includes('response CONTROLVM_DISK_CREATE handle=5 status=4 (failed)'))).toBe(true);
  });
});
