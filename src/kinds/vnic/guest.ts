// The guest side of the vnic kind (spar-protocol.md §4.3, §4.7): a network stack (an interface
// with its IP layer and ping flows) above each vnic virtnic probed, as the network plan numbers
// and addresses them.

import type { virtnicMachine } from '../../../machines/virtnic.machine.js';
import { assert } from '../../base/assert.js';
import { guestNetwork } from './network.js';
import type { BindingOf } from '../../partition/binding.js';
import type { HostView } from '../../partition/partition-host.js';
import type { GuestKindContext, GuestKindSide } from '../kind.js';
import { type NetInterfaceReport, NetStack } from './net-stack.js';

/** The vnic kind's part of a guest's report: each interface's ledgers. */
export type VnicGuestReport = readonly NetInterfaceReport[];

/** A guest's interfaces in `view` (what {@link vnicGuest} reported); [] without any. */
export function vnicReportOf(view: Pick<HostView, 'reports'> | undefined): VnicGuestReport {
  return (view?.reports['vnic'] as VnicGuestReport | undefined) ?? [];
}

/** Flow ids (ICMP identifiers) per guest boot: a flow of boot b is `flow + (b − 1) × this`. */
export const FLOW_IDS_PER_BOOT = 4096;

/**
 * The ICMP identifier of flow `flow` in boot `bootCount` (u16). Choice: a rebooted guest's ping
 * flows start over under new identifiers, as a new ping process gets a new pid, so a reply to its
 * crashed boot's request is nobody's (`unknownReplies`), never a duplicate of the new flow's.
 */
export function flowIdOf(flow: number, bootCount: number): number {
  assert(flow >= 1 && flow < FLOW_IDS_PER_BOOT, `flow ${flow} fits its boot's ids`);
  return flow + ((bootCount - 1) % 16) * FLOW_IDS_PER_BOOT;
}

/** The network stacks of one guest boot. */
export function vnicGuest(ctx: GuestKindContext): GuestKindSide {
  const network = guestNetwork(ctx.config, ctx.partition);
  const { vnics } = network;
  const flows = network.flows.map((f) => ({ ...f, flow: flowIdOf(f.flow, ctx.bootCount) }));
  const stacks: NetStack[] = [];
  return {
    attach({ busNo, devNo, channel, driver, control }) {
      const vnic = vnics.find((v) => v.busNo === busNo && v.devNo === devNo);
      assert(vnic !== undefined, `${channel.id}: every vnic is in the network plan`);
      const mine = flows.filter((f) => f.vnic.busNo === busNo && f.vnic.devNo === devNo);
      const ifindex = vnics.indexOf(vnic);
      const stack = new NetStack(ctx, driver, channel, busNo, devNo, vnic, mine, ifindex);
      stacks.push(stack);
      const binding: BindingOf<typeof virtnicMachine> = { ...control, ...stack.binding(control) };
      return {
        binding,
        start: () => stack.start(),
        detach: () => stack.detach(),
        remove: () => {
          stack.remove();
          stacks.splice(stacks.indexOf(stack), 1);
        },
      };
    },
    report(): VnicGuestReport {
      return stacks.map((s) => s.report());
    },
  };
}
