// visorchipset's context, events and effects: the protocol between the machine, its host and
// visorbus (spar-protocol.md §2.5 controlvm polling, §2.6 preconditions, §2.10 parahotplug, §3.1).
// The machine is visorchipset.machine.ts; the precondition table and updates are in
// visorchipset.logic.ts.

import type {
  ControlvmCommand,
  ControlvmPacket,
  ControlvmResponse,
} from '../src/protocol/controlvm-command.js';

/** Machine input: which partition this is and how long a jiffy lasts (1000 / CONFIG_HZ). */
export interface VisorchipsetInput {
  readonly partition: string;
  /**
   * Milliseconds per jiffy: 4 for HZ = 250, 1 for HZ = 1000 (§7: HZ is not fixed by the drivers).
   */
  readonly jiffyMs: number;
}

/** The stored copy of a request header (`pending_msg_hdr`): what a deferred response needs. */
export interface RequestHeader {
  readonly id: number;
  readonly messageHandle: string;
}

/** visorchipset's view of one bus (`struct visor_device` with `BUS_ROOT_DEVICE`, §3.2, §3.3). */
export interface BusRecord {
  readonly busNo: number;
  /** `state.created`: set once visorbus reported the bus registered. */
  readonly created: boolean;
  /** `pending_msg_hdr`: the request still owed a response, or null. */
  readonly pendingRequest: RequestHeader | null;
  /** BUS_CONFIGURE's `guest_handle` (the bus channel's `partition_handle`), decimal. */
  readonly guestHandle: string | null;
}

/** visorchipset's view of one device (§3.2, §3.4, §3.5). */
export interface DeviceRecord {
  readonly busNo: number;
  readonly devNo: number;
  /** `state.created`: set once visorbus reported `device_add` done. */
  readonly created: boolean;
  /** `pending_msg_hdr`: the request still owed a response, or null. */
  readonly pendingRequest: RequestHeader | null;
  /** visorbus's `pausing`/`resuming` flag as visorchipset set it; cleared by VISORBUS_DONE. */
  readonly changing: 'pause' | 'resume' | null;
}

/** An outstanding para-hotplug disable (§2.10). */
export interface ParahotplugRequest {
  /** `parahotplug_next_id()`: increasing from 1, also the expiry timer's id suffix. */
  readonly requestId: number;
  /** The header to answer, or null when no response was expected. */
  readonly header: RequestHeader | null;
  readonly busNo: number;
  readonly devNo: number;
  /** The requested segment state, echoed in the reply. */
  readonly state: number;
}

type PacketFields<K extends ControlvmPacket['kind']> = Omit<
  Extract<ControlvmPacket, { kind: K }>,
  'kind'
>;

/**
 * Work visorchipset hands to visorbus (the visorbus machine performs it). Creates carry the
 * packet's fields (u64 values as decimal strings) except DEVICE_CREATE's unused `intr`.
 */
export type VisorbusRequest =
  | ({ readonly kind: 'createBus' } & PacketFields<'create_bus'>)
  | ({ readonly kind: 'createDevice' } & Omit<PacketFields<'create_device'>, 'intr'>)
  | { readonly kind: 'destroyBus'; readonly busNo: number }
  | {
      readonly kind: 'destroyDevice' | 'pauseDevice' | 'resumeDevice';
      readonly busNo: number;
      readonly devNo: number;
    };

/** The kinds of visorbus request. */
export type VisorbusRequestKind = VisorbusRequest['kind'];

/** The create visorchipset waits for before reading the next command (kernel: synchronous). */
export interface AwaitedCreate {
  readonly kind: 'createBus' | 'createDevice';
  readonly busNo: number;
  /** Null for a bus. */
  readonly devNo: number | null;
}

/** Events the partition host (and visorbus, through the host) sends to visorchipset. */
export type VisorchipsetEvent =
  | { readonly type: 'CONTROLVM_COMMAND'; readonly command: ControlvmCommand }
  | { readonly type: 'POLL_DONE'; readonly commands: number }
  | {
      readonly type: 'VISORBUS_DONE';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negative errno. */
      readonly status: number;
    }
  /** The command partition rang the controlvm doorbell (a wake-up; carries no data). */
  | { readonly type: 'DOORBELL' }
  /** Internal: raised by the machine itself 2000 ms after a para-hotplug disable. */
  | { readonly type: 'PARAHOTPLUG_EXPIRED'; readonly requestId: number };

/** Events held back while a create is in visorbus (replayed in order afterwards). */
export type BacklogEvent = Extract<VisorchipsetEvent, { type: 'CONTROLVM_COMMAND' | 'POLL_DONE' }>;

/** Effects visorchipset asks its partition host to perform. */
export type VisorchipsetEmitted =
  | { readonly type: 'controlvm.poll' }
  | { readonly type: 'controlvm.respond'; readonly response: ControlvmResponse }
  | { readonly type: 'visorbus.request'; readonly request: VisorbusRequest }
  | { readonly type: 'chipset.uevent'; readonly kind: 'online' | 'selftest' | 'offline' }
  /**
   * §2.10 KOBJ_CHANGE: `device` = dev_no >> 3 and `function` = dev_no & 7 (PCI device/function).
   */
  | {
      readonly type: 'chipset.uevent';
      readonly kind: 'parahotplug';
      readonly requestId: number;
      readonly active: boolean;
      readonly busNo: number;
      readonly device: number;
      readonly function: number;
    };

/** Machine context: plain, serialisable data only. */
export interface VisorchipsetContext {
  readonly partition: string;
  /** Milliseconds per jiffy. */
  readonly jiffyMs: number;
  /** `poll_jiffies`: FAST (1) or SLOW (100). */
  readonly pollIntervalJiffies: number;
  /** Virtual milliseconds since the last poll that found commands (adds each waited interval). */
  readonly idleMs: number;
  /** Bus records by `String(busNo)`. */
  readonly buses: Readonly<Record<string, BusRecord>>;
  /** Device records by `deviceKey(busNo, devNo)`. */
  readonly devices: Readonly<Record<string, DeviceRecord>>;
  readonly awaiting: AwaitedCreate | null;
  /** At most one poll's commands plus its POLL_DONE. */
  readonly backlog: readonly BacklogEvent[];
  readonly parahotplug: readonly ParahotplugRequest[];
  readonly nextParahotplugId: number;
  /** A doorbell rang while a poll was running: poll again at once instead of waiting. */
  readonly doorbellPending: boolean;
  /** The last poll found commands (true before the first): the next one is a FAST interval away. */
  readonly lastPollFoundCommands: boolean;
}
