// A test bench for one guest host in the sim runtime: the test plays the command partition on
// the guest's controlvm channel (so it can send what the real CP never would) and reads the
// replies as the CP would. Used by the guest host tests; not part of the runtime.

import { Channel, CONTROLVM_CHANNEL } from '../../channel/index.js';
import {
  allocateChannels,
  doorbellOf,
  type ChannelRecord,
  type Config,
} from '../../hypervisor/index.js';
import * as build from '../../protocol/controlvm-request.js';
import type { ControlvmHeader } from '../../protocol/controlvm.js';
import { SimWorld } from '../../runtime/sim/sim-world.js';
import { ControlvmCpPort } from '../controlvm-cp-port.js';
import { GuestHost } from '../guest-host.js';

/** A guest of `config` on a fresh SimWorld, with a CP port on its controlvm channel. */
export function guestBench(
  config: Config,
  guest: string,
  seed = 1,
  quirks: readonly string[] = [],
) {
  const channels = allocateChannels(config);
  const mine = channels.forPartition(guest);
  const world = new SimWorld({ seed });
  const env = world.environment(guest);
  const withQuirks = quirks.length === 0 ? config : { ...config, quirks };
  const host = new GuestHost({ partition: guest, config: withQuirks, channels: mine, env });
  const controlvm = mine.find((c) => c.kind === 'controlvm');
  const attached = controlvm && Channel.attachAs(controlvm.buffer, CONTROLVM_CHANNEL);
  if (controlvm === undefined || !attached?.ok)
    throw new Error(`${guest} has no valid controlvm channel`);
  const cp = new ControlvmCpPort(attached.value, doorbellOf(controlvm), world.environment('cp'));
  const responses: ControlvmHeader[] = [];
  let nextHandle = 1;
  const bench = {
    channels,
    mine,
    world,
    host,
    responses,
    /** This guest's channel matching `match`. */
    channel(match: (c: ChannelRecord) => boolean): ChannelRecord {
      const found = mine.find(match);
      if (found === undefined) throw new Error('no such channel');
      return found;
    },
    /** Runs `ms` of virtual time, then collects the replies. */
    run(ms: number): void {
      const summary = world.scheduler.runUntil(world.scheduler.now() + ms, 500_000);
      if (summary.stoppedBy === 'event-budget') throw new Error('runaway loop');
      const replies = cp.collect();
      if (replies.error !== null) throw new Error(replies.error.message);
      responses.push(...replies.responses);
    },
    /** Sends one request; returns its message handle. */
    send(body: build.ControlvmRequestBody): bigint {
      const handle = BigInt(nextHandle++);
      const outcome = cp.send(
        build.encodeControlvmRequest({ ...body, messageHandle: String(handle) }),
      );
      if (outcome !== 'inserted') throw new Error(`send: ${JSON.stringify(outcome)}`);
      return handle;
    },
    /** Sends, runs `ms`, and returns the one response to it (throws unless exactly one). */
    request(body: build.ControlvmRequestBody, ms = 10): ControlvmHeader {
      const handle = bench.send(body);
      bench.run(ms);
      const answers = responses.filter((r) => r.messageHandle === handle);
      if (answers.length !== 1) throw new Error(`${answers.length} responses to handle ${handle}`);
      return answers[0] as ControlvmHeader;
    },
  };
  host.start();
  return bench;
}
