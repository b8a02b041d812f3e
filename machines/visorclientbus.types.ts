// visorclientbus's context, events and effects: the protocol between the machine, visorchipset,
// visorbus and uislib (spar-protocol.md §5.11, §3.5 Era A pause path). The machine is
// visorclientbus.machine.ts; its routing and answer rules are in visorclientbus.logic.ts.

import type { VisorbusRequest, VisorbusRequestKind } from './visorchipset.types.js';
import type { DeviceKind, GuestMsgtype, UislibInjectMsg } from './visoruislib.logic.js';

/** Upstream bugs a run may switch on (default off). */
export interface VisorclientbusQuirks {
  /**
   * Quirk: `uislib_client_inject_pause_vhba`/`_resume_vhba` return uislib's *positive* code on
   * failure (the vnic ones return -1) and visorclientbus passes it to the responder as it is;
   * visorchipset treats a positive status as success, so the CP reads a failed vhba pause/resume
   * as done. Off: the negated code is passed, and the CHANGESTATE fails.
   */
  readonly vhbaStateChangeRcPositive: boolean;
  /**
   * Quirk `visorhba-resume-no-complete` (§3.5 driver table, §4.2 "Resume (IOSP back)"): upstream
   * visorhba's `resume` re-enables polling and clears the down flags but never calls
   * `complete(dev, status)`, so the CHANGESTATE(running) response is never sent and the device
   * keeps its pending request for good. Here: a vhba resume that uislib carried out (virthba's
   * serverup ran) is settled without `visorchipset.done`, so visorchipset keeps the device's
   * `pendingRequest` and refuses every later CHANGESTATE/DESTROY of it (EIO, §2.6). A failed
   * resume is still answered (final visorbus answers a driver's failed `resume` at once, §3.5
   * step 4). Off: the resume is answered with uislib's result at once (Era A, §5.11).
   */
  readonly vhbaResumeNoComplete: boolean;
}

/** Machine input. */
export interface VisorclientbusInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** Quirks to switch on; missing ones are off. */
  readonly quirks?: Partial<VisorclientbusQuirks>;
}

/** Who a request went to. */
export type Route = 'visorbus' | 'uislib' | 'both';

/** One request visorchipset handed over and that has not been settled. */
export interface PendingRequest {
  /** Arrival number, for FIFO matching of answers. */
  readonly seq: number;
  readonly kind: VisorbusRequestKind;
  readonly busNo: number;
  /** Null for bus requests. */
  readonly devNo: number | null;
  readonly route: Route;
  /** The Era A device kind when the request went to uislib for a device, else null. */
  readonly deviceKind: DeviceKind | null;
  /** visorbus's answer (for 'visorbus'/'both'), or null while out. */
  readonly visorbusStatus: number | null;
  /** uislib's answer mapped to visorclientbus's rc (for 'uislib'/'both'), or null while out. */
  readonly uislibStatus: number | null;
}

/** The type of a device as visorclientbus remembers it from DEVICE_CREATE. */
export type RememberedType = DeviceKind | 'other';

/** Machine context: plain data. */
export interface VisorclientbusContext {
  readonly partition: string;
  readonly quirks: VisorclientbusQuirks;
  readonly nextSeq: number;
  /** Outstanding requests in arrival order. */
  readonly pending: readonly PendingRequest[];
  /**
   * Device types by `deviceKey(busNo, devNo)`, from createDevice until destroy or a failed create.
   */
  readonly deviceTypes: Readonly<Record<string, RememberedType>>;
  /** Answers that matched no outstanding request (ignored, counted). */
  readonly strayAnswers: number;
}

/** Events: visorchipset's requests and the two parties' answers (routed by the host). */
export type VisorclientbusEvent =
  | { readonly type: 'CHIPSET_REQUEST'; readonly request: VisorbusRequest }
  /** visorbus's `visorchipset.done` for a forwarded request (same shape). */
  | {
      readonly type: 'VISORBUS_DONE';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negative errno. */
      readonly status: number;
    }
  /** virtpci's `uislib.done` for an injected message. */
  | {
      readonly type: 'UISLIB_DONE';
      readonly msgtype: GuestMsgtype;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negated CONTROLVM_RESP code. */
      readonly status: number;
    };

/** Effects visorclientbus asks its partition host for. */
export type VisorclientbusEmitted =
  /** Hand the request to visorbus (as its VISORBUS_REQUEST). */
  | { readonly type: 'visorbus.forward'; readonly request: VisorbusRequest }
  /** `uislib_client_inject_*`: the host fills wwnn/mac for adds and sends virtpci GUEST_MSG. */
  | { readonly type: 'uislib.inject'; readonly msg: UislibInjectMsg }
  /** The answer to a request, for visorchipset's VISORBUS_DONE. */
  | {
      readonly type: 'visorchipset.done';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      readonly status: number;
    };
