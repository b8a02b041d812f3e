// Bring-up plans for the command partition, from the hypervisor model (src/hypervisor): which
// buses and devices each guest gets, at the channel addresses and sizes the hypervisor
// allocated, with name-based instance GUIDs. Host-side: it hashes with node:crypto, which the
// command-partition machine itself never touches.
//
// Choice: instance GUIDs are name-based (RFC 9562 version 5, SHA-1) under a fixed spar-sim
// namespace, named by the channel's id (`guest1/vbus1`, `guest1/vbus1:dev0`): the same
// configuration always yields the same GUIDs, and no randomness enters a run.

import { createHash } from 'node:crypto';
import { assert } from '../base/assert.js';
import { channelTypeOf } from '../kinds/index.js';
import type { ChannelMap, ChannelRecord, Config } from '../hypervisor/index.js';
import type { BusPlan, DevicePlan, GuestPlan } from '../../machines/command-partition.logic.js';

/** Choice: the fixed namespace of spar-sim's name-based instance GUIDs. */
export const SPAR_SIM_GUID_NAMESPACE = 'df6ddb07-2a99-48cf-a328-39393d2f1e9b';

/** A name-based (version 5) GUID of `name` under {@link SPAR_SIM_GUID_NAMESPACE}. */
export function nameGuid(name: string): string {
  const namespace = Buffer.from(SPAR_SIM_GUID_NAMESPACE.replaceAll('-', ''), 'hex');
  const b = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50; // version 5
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // RFC variant
  const hex = b.toString('hex');
  const groups = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...groups, hex.slice(20)].join('-');
}

/** The channel `id` of a guest's share, placed as the controlvm packets give it. */
function placeOf(share: readonly ChannelRecord[], id: string) {
  const ch = share.find((r) => r.id === id);
  assert(ch !== undefined, `no channel ${id} in the channel map`);
  const place = { channelAddr: ch.channelAddr.toString(), channelBytes: String(ch.channelBytes) };
  return { place, instGuid: nameGuid(ch.id), typeGuid: typeGuidOf(ch.typeName) };
}

/** Every guest's bring-up plan, with the addresses and sizes the hypervisor allocated. */
export function guestPlansFrom(config: Config, channelMap: ChannelMap): GuestPlan[] {
  const guests = config.partitions.filter((p) => p.kind === 'guest');
  return guests.map((guest) => {
    const share = channelMap.forPartition(guest.name);
    const buses = guest.buses.map(({ busNo, deviceCount }): BusPlan => {
      const { place, instGuid } = placeOf(share, `${guest.name}/vbus${busNo}`);
      return { busNo, devCount: deviceCount, ...place, busInstGuid: instGuid };
    });
    const devices = guest.devices.map(({ busNo, devNo, server }): DevicePlan => {
      const channel = placeOf(share, `${guest.name}/vbus${busNo}:dev${devNo}`);
      const { place, instGuid, typeGuid } = channel;
      return { busNo, devNo, ...place, dataTypeGuid: typeGuid, devInstGuid: instGuid, server };
    });
    return { name: guest.name, partitionIndex: guest.index, buses, devices };
  });
}

// The hypervisor allocated the channel, so its type is a registered one.
function typeGuidOf(typeName: string): string {
  return channelTypeOf(typeName).guid;
}
