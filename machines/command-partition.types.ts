// The command partition's events and effects: the protocol between the machine, its host and
// recovery (spar-protocol.md §2.3–§2.7, §3.1). The machine is command-partition.machine.ts; the
// bring-up plans, queues and ledger are in command-partition.logic.ts.

import type { ControlvmRequest } from '../src/protocol/controlvm-request.js';
import type {
  CommandFailure,
  CommandRejection,
  GuestPlan,
  Resolution,
} from './command-partition.logic.js';

/** What identifies a reply: the guest and the command's message handle. */
export type Reply = { readonly guest: string; readonly messageHandle: string };
/** The device an operate command addresses. */
export type Device = { readonly guest: string; readonly busNo: number; readonly devNo: number };
/** What a response says. */
export type Response = { readonly id: number; readonly status: number; readonly failed: boolean };

/** Events: replies the host decoded, commands from recovery or a scenario, and own timers. */
export type CommandPartitionEvent =
  /** An ack from queue 3 (§2.5 step 3b). */
  | ({ readonly type: 'CONTROLVM_ACK' } & Reply)
  /** A response from queue 0: the id answered, `completion_status` and `flags.failed` (§2.6). */
  | ({ readonly type: 'CONTROLVM_RESPONSE' } & Response & Reply)
  /** Raised by the machine's own timers (ids from `timerId`); the host never sends them. */
  | ({ readonly type: 'ACK_TIMEOUT' } & Reply)
  | ({ readonly type: 'RESPONSE_TIMEOUT' } & Reply)
  /** DEVICE_CHANGESTATE to a §3.1 segment state: 0xF7 running (resume), 0x73 standby (pause). */
  | ({ readonly type: 'CHANGE_DEVICE_STATE'; readonly state: number } & Device)
  | ({ readonly type: 'DESTROY_DEVICE' } & Device)
  /** The hypervisor reports that guest `plan.name` booted again: bring it up anew. */
  | { readonly type: 'GUEST_REBOOTED'; readonly plan: GuestPlan };

/** How one sent command ended; `status` is null when nothing arrived in time. */
export interface CommandOutcome {
  readonly type: 'cp.outcome';
  readonly guest: string;
  readonly id: number;
  readonly messageHandle: string;
  readonly status: number | null;
  readonly failed: boolean;
  readonly cause: Exclude<Resolution, 'pending'>;
  /** The addressed bus and device, or null for commands without them. */
  readonly busNo: number | null;
  readonly devNo: number | null;
}

/** Effect requests for the partition host (and, through it, recovery orchestration). */
export type CommandPartitionEmitted =
  /** Encode `request` onto `guest`'s controlvm queue 2 and ring its doorbell. */
  | { readonly type: 'controlvm.send'; readonly guest: string; readonly request: ControlvmRequest }
  | CommandOutcome
  | { readonly type: 'cp.guestReady'; readonly guest: string }
  | { readonly type: 'cp.guestFailed'; readonly guest: string; readonly failure: CommandFailure }
  /** The guest booted again (its `boot`, from 2): its bring-up starts over. */
  | { readonly type: 'cp.guestRebooted'; readonly guest: string; readonly boot: number }
  | { readonly type: 'cp.rejected'; readonly rejection: CommandRejection }
  /** A reply to a command an older incarnation of the CP sent: ignored (not a violation). */
  | {
      readonly type: 'cp.staleReply';
      readonly guest: string;
      readonly messageHandle: string;
      readonly reply: 'ack' | 'response';
    }
  /** Bring-up is over: which guests are ready and which failed. */
  | { readonly type: 'cp.bringUpDone'; readonly ready: string[]; readonly failed: string[] };
