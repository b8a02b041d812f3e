import { describe, expect, test } from 'vitest';
import { cli as run } from './testing/run-cli.js';

describe('spar cli', () => {
  test('smoke: --help lists the layout command and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('layout');
  });

  test('layout --json prints every struct with kernel names, sizes and field offsets', async () => {
    const { code, out } = await run('layout', '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as {
      structs: {
        name: string;
        size: number;
        fields: { name: string; offset: number; size: number }[];
      }[];
    };
    const sizes = Object.fromEntries(doc.structs.map((s) => [s.name, s.size]));
    expect(sizes).toMatchObject({
      channel_header: 128,
      signal_queue_header: 128,
      controlvm_message_header: 48,
      controlvm_message: 128,
      uiscmdrsp: 1185,
    });
    const uiscmdrsp = doc.structs.find((s) => s.name === 'uiscmdrsp');
    expect(uiscmdrsp?.fields.find((f) => f.name === 'scsi.handle')).toMatchObject({
      offset: 1,
      size: 8,
    });
    expect(uiscmdrsp?.fields.find((f) => f.name === 'net.buf')).toMatchObject({
      offset: 5,
      size: 8,
    });
    expect(doc.structs[0]?.fields[0]).toEqual({
      name: 'signature',
      offset: 0,
      size: 8,
      type: 'u64',
    });
  });

  test('layout --struct selects one struct; an unknown one is a one-line usage error with exit 2', async () => {
    const one = await run('layout', '--struct', 'signal_queue_header');
    expect(one.out).toContain('struct signal_queue_header  (128 bytes)');
    expect(one.out).not.toContain('channel_header');
    const bad = await run('layout', '--struct', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('--struct');
  });

  test('an unknown command or option exits 2 without a stack trace', async () => {
    const bad = await run('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command 'frobnicate'");
    expect(bad.err).not.toContain('    at ');
    expect((await run('layout', '--bogus')).code).toBe(2);
  });
});
