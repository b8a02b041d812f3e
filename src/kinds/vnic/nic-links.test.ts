// NIC link words (nic-links.ts; spar-protocol.md §4.3 NET_CONNECT_STATUS): one page per IOSP, a
// word per NIC in configuration order, every link up at first; a set changes only its own word.

import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import type { Config } from '../../hypervisor/config.js';
import { allocateNicLinks, isNicLinkUp, nicLinkIndex } from './nic-links.js';

const config: Config = {
  jiffyMs: 1,
  partitions: [
    { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
    {
      name: 'iosp0',
      kind: 'iosp',
      index: 1,
      buses: [],
      devices: [],
      hardware: {
        scsi: [],
        nics: [
          { name: 'eth-blue', switch: 'blue' },
          { name: 'eth-red', switch: 'red' },
        ],
      },
    },
    {
      name: 'iosp1',
      kind: 'iosp',
      index: 2,
      buses: [],
      devices: [],
      hardware: { scsi: [], nics: [{ name: 'eth-blue', switch: 'blue' }] },
    },
    { name: 'iosp2', kind: 'iosp', index: 3, buses: [], devices: [] },
  ],
};

const states = (links: ReturnType<typeof allocateNicLinks>) =>
  Object.fromEntries(
    [...links.pages].map(([iosp, page]) => [
      iosp,
      Array.from({ length: page.byteLength / 4 }, (_, i) => isNicLinkUp(page, i)),
    ]),
  );

describe('NIC link words', () => {
  test('one page per IOSP, a word per NIC in hardware.nics order, every link up at first', () => {
    const links = allocateNicLinks(config);
    expect(states(links)).toEqual({ iosp0: [true, true], iosp1: [true], iosp2: [] });
    expect([
      nicLinkIndex(config, 'iosp0', 'eth-red'),
      nicLinkIndex(config, 'iosp1', 'eth-blue'),
    ]).toEqual([1, 0]);
  });

  test('a set changes only the named NIC of the named IOSP, down and back up', () => {
    const links = allocateNicLinks(config);
    expect(links.set('iosp0', 'eth-red', false)).toBe(true);
    expect(states(links)).toEqual({ iosp0: [true, false], iosp1: [true], iosp2: [] });
    expect(links.set('iosp0', 'eth-red', true)).toBe(true);
    expect(states(links)).toEqual({ iosp0: [true, true], iosp1: [true], iosp2: [] });
  });

  test('a NIC the IOSP does not own, or a partition that is no IOSP, is refused and changes nothing', () => {
    const links = allocateNicLinks(config);
    expect(links.set('iosp1', 'eth-red', false)).toBe(false);
    expect(links.set('iosp2', 'eth-blue', false)).toBe(false);
    expect(links.set('cp', 'eth-blue', false)).toBe(false);
    expect(nicLinkIndex(config, 'cp', 'eth-blue')).toBeNull();
    expect(states(links)).toEqual({ iosp0: [true, true], iosp1: [true], iosp2: [] });
  });

  test('reading a word outside its page is a programmer error', () => {
    const page = allocateNicLinks(config).pages.get('iosp1');
    if (page === undefined) throw new Error('iosp1 has a page');
    expect(() => isNicLinkUp(page, 1)).toThrow(/lies in its 4-byte page/);
  });

  test('the page is shared memory: a link lost in this thread is seen down by another thread', async () => {
    const links = allocateNicLinks(config);
    links.set('iosp0', 'eth-blue', false);
    const source =
      'const { parentPort, workerData } = require("node:worker_threads"); const w = new Int32Array(workerData); parentPort.postMessage([Atomics.load(w, 0), Atomics.load(w, 1)]);';
    const worker = new Worker(source, { eval: true, workerData: links.pages.get('iosp0') });
    const seen = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(seen).toEqual([0, 1]);
  });
});
