// Hostile controlvm input (spar-protocol.md §2): whatever bytes the command partition puts in
// queue 2, the guest answers with failure responses or ignores them as §2 says, and never
// crashes. Runs a GuestHost in the sim runtime on the hypervisor's channels.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Channel } from '../channel/index.js';
import { allocateChannels, doorbellOf, minimalGuestConfig } from '../hypervisor/index.js';
import {
  CONTROLVM_ID,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  decodeControlvmHeader,
  encodeControlvmMessage,
} from '../protocol/controlvm.js';
import { SimWorld } from '../runtime/sim/index.js';
import { GuestHost } from './guest-host.js';
import { CONTROLVM_CHANNEL } from '../channel/index.js';

const ids = Object.values(CONTROLVM_ID);

// Either arbitrary bytes, or a well-formed header with a known id and arbitrary packet bytes, so
// both the decoder and every command handler see hostile values.
const slot = fc.oneof(
  fc.uint8Array({ minLength: 128, maxLength: 128 }),
  fc
    .record({
      id: fc.constantFrom(...ids),
      handle: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      flags: fc.nat(0x7f),
      packet: fc.uint8Array({ minLength: 80, maxLength: 80 }),
    })
    .map(({ id, handle, flags, packet }) => {
      const bytes = encodeControlvmMessage({ id, messageHandle: handle, flags });
      bytes.set(packet, 48);
      return bytes;
    }),
);

describe('guest host under hostile controlvm input', () => {
  test('arbitrary command slots get failure responses or are ignored; the guest never crashes', () => {
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 40 }), (slots) => {
        const config = minimalGuestConfig();
        const channels = allocateChannels(config);
        const world = new SimWorld({ seed: 1 });
        const host = new GuestHost({
          partition: 'guest1',
          config,
          channels: channels.forPartition('guest1'),
          env: world.environment('guest1'),
        });
        const record = channels.forPartition('guest1').find((c) => c.kind === 'controlvm');
        if (record === undefined) throw new Error('no controlvm channel');
        const attached = Channel.attachAs(record.buffer, CONTROLVM_CHANNEL);
        if (!attached.ok) throw new Error(attached.error.message);
        const cp = attached.value;
        host.start();
        const sent = new Map<bigint, Set<number>>();
        const received = new Uint8Array(128);
        for (const bytes of slots) {
          while (cp.queue(CONTROLVM_QUEUE_EVENT).insert(bytes) === 'overflow')
            world.scheduler.runUntil(world.scheduler.now() + 5, 10_000);
          const header = decodeControlvmHeader(bytes);
          if (header.ok)
            sent.set(
              header.value.messageHandle,
              (sent.get(header.value.messageHandle) ?? new Set()).add(header.value.id),
            );
          doorbellOf(record).ring('client');
          world.scheduler.runUntil(world.scheduler.now() + 2, 10_000);
          while (cp.queue(CONTROLVM_QUEUE_REQUEST).remove(received) === 'removed') {
            const response = decodeControlvmHeader(received);
            expect(response.ok).toBe(true);
            if (response.ok)
              expect(sent.get(response.value.messageHandle)?.has(response.value.id)).toBe(true);
          }
        }
        world.scheduler.runUntil(world.scheduler.now() + 3_000, 200_000);
        const states = host.snapshot();
        expect(states['guest1/visorchipset']).toBeDefined();
        host.stop();
      }),
      { numRuns: 60 },
    );
  });
});
