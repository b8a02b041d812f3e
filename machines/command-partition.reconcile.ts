// The command partition's restart rules (issue #14 item 1; spar-protocol.md §2.3 message_handle,
// §2.6 the guest's answers to a repeated create): how a CP that booted again tells its own replies
// from its previous incarnations', and which failed answers to its bring-up mean "already there".
// Pure functions of the machine's context; command-partition.machine.ts wires them as guards.
//
// Choice: the incarnation (the CP's boot count from the hypervisor) is the high 32 bits of every
// message handle (`message_handle` is a u64 the guest copies into its ack and response, §2.3), so
// the first boot's handles are 1, 2, 3... and a reply to an older incarnation is recognised
// however late it comes. Such a reply is no protocol violation: the guest answered a command the
// CP sent before it crashed. It is counted (`staleReplies`) and otherwise ignored.
// Choice: a rebooted CP redoes the bring-up and reconciles by the guest's answers, not by reading
// the vbus channel's device records (those hold the driver's name and version, §3.8, not whether a
// bus or device exists): CHIPSET_INIT answered CONTROLVM_RESP_ALREADY_DONE (1), BUS_CREATE and
// DEVICE_CREATE answered EEXIST (17) mean the guest already has it (§2.6 table), so the guest's
// bring-up goes on. BUS_CONFIGURE of a created bus succeeds again (§2.6), so it needs no rule.
// A first boot never takes these answers as success: there they mean a guest out of step.
// Choice: the same holds for a guest's later boot (command-partition.guest-reboot.ts): the fresh
// guest may have executed a create the CP had sent its crashed incarnation, still in queue 2.

import {
  CONTROLVM_ID as ID,
  CONTROLVM_RESP_ALREADY_DONE,
  LINUX_ERRNO,
} from '../src/protocol/controlvm.js';
import type { CommandPartitionContext } from './command-partition.logic.js';

/** Message handles per incarnation: the incarnation is the handle's high 32 bits. */
export const HANDLE_INCARNATION_STRIDE = 2 ** 32;

/** The first message handle of incarnation `incarnation` (from 1): the first boot's is 1. */
export function firstHandle(incarnation: number): number {
  return (incarnation - 1) * HANDLE_INCARNATION_STRIDE + 1;
}

/** The incarnation a message handle (a decimal u64 string) belongs to, or null when malformed. */
export function incarnationOf(handle: string): number | null {
  if (!/^\d{1,20}$/.test(handle)) return null;
  const h = BigInt(handle);
  return h === 0n ? 1 : Number((h - 1n) >> 32n) + 1;
}

/**
 * True for a reply to a command an older incarnation of the CP sent, or one the CP abandoned when
 * its guest rebooted (the fresh guest may still find it in queue 2 and answer it).
 */
export function isStaleReply(
  c: CommandPartitionContext,
  reply: { readonly guest: string; readonly messageHandle: string },
): boolean {
  const sent = c.sent[reply.messageHandle];
  if (sent?.guest === reply.guest && sent.resolution === 'guest-rebooted') return true;
  const incarnation = incarnationOf(reply.messageHandle);
  return incarnation !== null && incarnation < c.incarnation;
}

/**
 * True for a bring-up response of a CP that booted again, or to a guest that booted again, saying the guest already has what it
 * asked for (the header's §2.6 answers). Callers check first that the reply is expected.
 */
export function isAlreadyThere(
  c: CommandPartitionContext,
  response: { readonly messageHandle: string; readonly id: number; readonly status: number },
): boolean {
  const sent = c.sent[response.messageHandle];
  const again = c.incarnation > 1 || (c.guests[sent?.guest ?? '']?.boot ?? 1) > 1;
  if (!again || sent?.phase !== 'bringUp') return false;
  if (response.id === ID.CONTROLVM_CHIPSET_INIT)
    return response.status === CONTROLVM_RESP_ALREADY_DONE;
  const isCreate =
    response.id === ID.CONTROLVM_BUS_CREATE || response.id === ID.CONTROLVM_DEVICE_CREATE;
  return isCreate && response.status === LINUX_ERRNO.EEXIST;
}
