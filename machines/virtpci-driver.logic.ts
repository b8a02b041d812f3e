// What the Era A drivers bound to virtpci (virthba, virtnic) share: their registrations, the entry
// points of `struct virtpci_driver` as events, the effects they ask the host for and the named
// actions of both machines (spar-protocol.md §3.5 Era A pause path, §4.6, §4.7, §5.12, §3.7;
// `torvalds/linux drivers/staging/unisys/virthba/virthba.c`, `kjdepro/unisys-1
// drivers/staging/unisys/virtnic/virtnic.c`). One actor per device, spawned by the host on
// virtpci's `driver.probe` (systemId from `virtpciDriverSystemId`), which then sends PROBE; the
// host routes each answer as {@link VirtpciDriverEmitted} says.
// Choice: `driver.suspended` is beyond the brief's contract: upstream's pause outcome depends on
// `suspend`'s return (0 → virtpci 0 → uislib 605 → a failed CHANGESTATE).

import { assign, emit, raise } from 'xstate';
import { assert } from '../src/base/assert.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';
import { narrowEvent } from './narrow-event.js';
import type { DeviceKind } from './visoruislib.logic.js';

/**
 * `PCI_VENDOR_ID_UNISYS` **[UNCONFIRMED]**: 0x1018 from Linux `pci_ids.h`, not read in the
 * sources (§3.7, §8).
 */
export const PCI_VENDOR_ID_UNISYS = 0x1018;

/** A virtpci driver's registration (`struct virtpci_driver` and its `id_table`). */
export interface VirtpciDriverRegistration {
  /** Kernel module short name: the systemId's `<module>` and the `driver` of `driver.*` effects. */
  readonly module: 'virthba' | 'virtnic';
  /** `virtpci_driver.name`, the `drvname` of the vbus device record (`fix_vbus_dev_info`). */
  readonly name: string;
  /** The device kind virtpci creates for this driver. */
  readonly kind: DeviceKind;
  /** The device channel's type GUID (lowercase), from the channel catalogue. */
  readonly channelTypeGuid: string;
  /** Fake PCI vendor id of the device (§3.7) **[UNCONFIRMED]**. */
  readonly pciVendorId: number;
  /** Whether {@link pciVendorId} was read in a source: it was not. */
  readonly pciVendorIdConfirmed: false;
  /** Fake PCI device id: 0xAA00 virthba, 0xAB00 virtnic (§3.7). */
  readonly pciDeviceId: number;
  /** virtpci's internal devtype: VIRTHBA 0, VIRTNIC 1 (§5.12). */
  readonly virtpciDevtype: 0 | 1;
  /** `devtype` of the vbus device record: "vHBA" / "vNIC" (`fix_vbus_dev_info`). */
  readonly devtype: 'vHBA' | 'vNIC';
}

/** virthba (`.name = "uisvirthba"`, id table `PCI_DEVICE(PCI_VENDOR_ID_UNISYS, 0xAA00)`). */
export const VIRTHBA_DRIVER: VirtpciDriverRegistration = {
  module: 'virthba',
  name: 'uisvirthba',
  kind: 'vhba',
  channelTypeGuid: VHBA_CHANNEL.guid,
  pciVendorId: PCI_VENDOR_ID_UNISYS,
  pciVendorIdConfirmed: false,
  pciDeviceId: 0xaa00,
  virtpciDevtype: 0,
  devtype: 'vHBA',
};

/** virtnic (`.name = "uisvirtnic"`, id table `PCI_DEVICE(PCI_VENDOR_ID_UNISYS, 0xAB00)`). */
export const VIRTNIC_DRIVER: VirtpciDriverRegistration = {
  module: 'virtnic',
  name: 'uisvirtnic',
  kind: 'vnic',
  channelTypeGuid: VNIC_CHANNEL.guid,
  pciVendorId: PCI_VENDOR_ID_UNISYS,
  pciVendorIdConfirmed: false,
  pciDeviceId: 0xab00,
  virtpciDevtype: 1,
  devtype: 'vNIC',
};

/** The registration of the driver virtpci probes for a device kind. */
export function virtpciDriverFor(kind: DeviceKind): VirtpciDriverRegistration {
  return kind === 'vhba' ? VIRTHBA_DRIVER : VIRTNIC_DRIVER;
}

/**
 * Upstream behaviours a run may switch on (all default off, so the machines answer correctly).
 * The fuzzer's canaries live here.
 */
export interface VirtpciDriverQuirks {
  /**
   * Quirk: SUSPEND while already down returns 1 and queues no work, so no pause response is ever
   * sent and visorchipset keeps the CHANGESTATE pending (`virthba_serverdown`,
   * `virtnic_serverdown`: "Server already down, but another server down message received").
   * Off: answer 0 at once.
   */
  readonly pauseWhileDownUnanswered: boolean;
  /**
   * Quirk (virthba only): RESUME while the serverdown work is queued returns 1 and does nothing,
   * because `virthba_serverup` tests `!serverdown` before `serverchangingstate`; the work then
   * finishes and the device ends down although the resume was answered success. Off: 0, as §4.6
   * states. virtnic tests in the other order and always answers 0 here.
   */
  readonly resumeWhileServerdownPending: boolean;
}

/** Machine input: the partition, the device address, optional quirks. */
export interface VirtpciDriverInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** The device's bus number. */
  readonly busNo: number;
  /** The device's number on that bus. */
  readonly devNo: number;
  /** Quirks to switch on; missing ones are off. */
  readonly quirks?: Partial<VirtpciDriverQuirks>;
}

/** The context both driver machines start from. Plain data. */
export interface VirtpciDriverContext {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly quirks: VirtpciDriverQuirks;
  /** CHANNEL_INTERRUPT ticks taken while running (ignored while changing or down). */
  readonly channelInterruptCount: number;
}

/** The entry points of `struct virtpci_driver` as the host calls them, and the work item's step. */
export type VirtpciDriverEvent =
  | { readonly type: 'PROBE' }
  /** `suspend` = serverdown (GUEST_PAUSE_*). */
  | { readonly type: 'SUSPEND' }
  /** `resume` = serverup (GUEST_RESUME_*). */
  | { readonly type: 'RESUME' }
  | { readonly type: 'REMOVE' }
  /** One wake-up of the device's receive path (IRQ or poll); counted until the IO paths exist. */
  | { readonly type: 'CHANNEL_INTERRUPT' }
  /** Internal: the serverdown work item ran to its end (raised by the machine itself). */
  | { readonly type: 'SERVERDOWN_COMPLETE' };

/** The device an effect concerns. */
interface At {
  readonly busNo: number;
  readonly devNo: number;
}

/** Effects a virtpci driver machine asks its host for, and where the host routes them. */
export type VirtpciDriverEmitted =
  /** → virtpci DRIVER_PROBED (0 bound, < 0 probe failed). */
  | ({ readonly type: 'driver.probed'; readonly status: number } & At)
  /**
   * → virtpci DRIVER_SUSPENDED: `suspend`'s return, 1 when the serverdown started or the device
   * was already down, 0 while a state change is in progress ("1 for success and 0 for failure").
   */
  | ({ readonly type: 'driver.suspended'; readonly status: number } & At)
  /**
   * → visorchipset VISORBUS_DONE `{kind: 'pauseDevice'}`: `visorchipset_device_pause_response`
   * at the end of the serverdown work item; 0 is success.
   */
  | ({ readonly type: 'driver.pauseResponse'; readonly status: number } & At)
  /** → virtpci DRIVER_RESUMED: `resume`'s return, 1 success, 0 during a state change (§4.6). */
  | ({ readonly type: 'driver.resumed'; readonly status: number } & At)
  /** → virtpci DRIVER_REMOVED. */
  | ({ readonly type: 'driver.removed' } & At)
  /** The host sets the channel's `cli_state_os` to ATTACHED (serverup, before the thread). */
  | ({ readonly type: 'channel.setClientStateAttached' } & At);

/** The device name virtpci gives a device, `<bus hex>:<dev hex>` (§3.7). */
export function virtpciDeviceName(busNo: number, devNo: number): string {
  return `${busNo.toString(16)}:${devNo.toString(16)}`;
}

/** The actor's systemId: `<partition>/<module>:<bus hex>:<dev hex>`. */
export function virtpciDriverSystemId(
  module: VirtpciDriverRegistration['module'],
  input: { readonly partition: string; readonly busNo: number; readonly devNo: number },
): string {
  return `${input.partition}/${module}:${virtpciDeviceName(input.busNo, input.devNo)}`;
}

/** All quirks off. */
export const NO_VIRTPCI_DRIVER_QUIRKS: VirtpciDriverQuirks = {
  pauseWhileDownUnanswered: false,
  resumeWhileServerdownPending: false,
};

/** The shared part of the initial context; a bad address is a host bug. */
export function initialVirtpciDriverContext(input: VirtpciDriverInput): VirtpciDriverContext {
  const { partition, busNo, devNo } = input;
  for (const [name, value] of [
    ['busNo', busNo],
    ['devNo', devNo],
  ] as const) {
    assert(Number.isSafeInteger(value) && value >= 0, `${name} ${value} is not a device number`);
  }
  const quirks = { ...NO_VIRTPCI_DRIVER_QUIRKS, ...input.quirks };
  return { partition, busNo, devNo, quirks, channelInterruptCount: 0 };
}

/** The entry points an action may be wired to (ENBDIS_ACK is virtnic's). */
type EntryPoint = VirtpciDriverEvent['type'] | 'ENBDIS_ACK';
/** The least a driver machine's event has. */
type DriverEvent = { readonly type: string };

/**
 * The named actions of both driver machines, typed for the machine's own context and events.
 * Each checks the event it answers first, so a config that wires an answer to the wrong entry
 * point fails at once. Status-carrying answers take the status as a parameter so the config
 * states it (`{ type: 'reportResumed', params: { status: 1 } }`).
 */
export function virtpciDriverActions<C extends VirtpciDriverContext, E extends DriverEvent>() {
  function answer<P extends { status: number } | undefined>(
    on: EntryPoint | EntryPoint[],
    effectOf: (at: At, params: P) => VirtpciDriverEmitted,
  ) {
    return emit<C, E, P, E, VirtpciDriverEmitted>(({ context, event }, params) => {
      narrowEvent<DriverEvent, string>(event, on);
      return effectOf({ busNo: context.busNo, devNo: context.devNo }, params);
    });
  }
  type Status = { status: number };
  return {
    reportProbed: answer<undefined>('PROBE', (at) => ({ type: 'driver.probed', ...at, status: 0 })),
    reportSuspended: answer<Status>('SUSPEND', (at, p) => ({
      type: 'driver.suspended',
      ...at,
      status: p.status,
    })),
    // From the work item's last step, or (quirk off) from a SUSPEND that found the device down.
    sendPauseResponse: answer<undefined>(['SERVERDOWN_COMPLETE', 'SUSPEND'], (at) => ({
      type: 'driver.pauseResponse',
      ...at,
      status: 0,
    })),
    reportResumed: answer<Status>('RESUME', (at, p) => ({
      type: 'driver.resumed',
      ...at,
      status: p.status,
    })),
    attachChannel: answer<undefined>('RESUME', (at) => ({
      type: 'channel.setClientStateAttached',
      ...at,
    })),
    reportRemoved: answer<undefined>('REMOVE', (at) => ({ type: 'driver.removed', ...at })),
    queueServerdownWork: raise<C, E, E, undefined>({ type: 'SERVERDOWN_COMPLETE' } as E),
    countChannelInterrupt: assign<C, E, undefined, E, never>(({ context, event }) => {
      narrowEvent<DriverEvent, string>(event, 'CHANNEL_INTERRUPT');
      return { channelInterruptCount: context.channelInterruptCount + 1 } as Partial<C>;
    }),
  };
}

/** Guard: the named quirk is on. */
export function isQuirkOn(
  { context }: { readonly context: VirtpciDriverContext },
  params: { readonly quirk: keyof VirtpciDriverQuirks },
): boolean {
  return context.quirks[params.quirk];
}

/**
 * SUSPEND while the server is down, in both driver machines: answered again with status 1 and a
 * pause response (upstream never answers it: quirk `pauseWhileDownUnanswered`; see the choice in
 * virthba.machine.ts's header).
 */
export const SUSPEND_WHILE_SERVER_DOWN = [
  {
    guard: { type: 'isQuirkOn', params: { quirk: 'pauseWhileDownUnanswered' } },
    actions: [{ type: 'reportSuspended', params: { status: 1 } }],
  },
  {
    actions: [{ type: 'reportSuspended', params: { status: 1 } }, 'sendPauseResponse'],
  },
] as const;

/**
 * The leaf states both driver machines have, in config order (serverChanging and serverDown are
 * the children of `serverAway`).
 */
export const VIRTPCI_DRIVER_STATES = [
  'matched',
  'running',
  'serverChanging',
  'serverDown',
  'removed',
] as const;
