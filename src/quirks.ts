// Named quirks (STYLE "Faithful"): upstream behaviour that differs from the correct one, modelled
// as an opt-in switch in a machine's input. The correct behaviour is the default; a scenario's
// `quirks:` list or `--quirk NAME` (spar run, spar fuzz) switches one on for the whole run.
// Later issues register theirs here.

/** The machines that take quirks, and each one's switch names (as in their `quirks` input). */
export interface ModuleQuirks {
  readonly visorclientbus?: {
    readonly vhbaStateChangeRcPositive?: boolean;
    readonly vhbaResumeNoComplete?: boolean;
  };
  readonly virtpci?: { readonly destroyDeviceUsesBusNo?: boolean };
  readonly virthba?: {
    readonly pauseWhileDownUnanswered?: boolean;
    readonly resumeWhileServerdownPending?: boolean;
    readonly losePendingOnPause?: boolean;
    readonly doubleCompleteOnResume?: boolean;
  };
  readonly virtnic?: {
    readonly pauseWhileDownUnanswered?: boolean;
    readonly xmitAfterTeardown?: boolean;
  };
}

/** A quirk: its name, the modules it changes, what it does, and the switches it sets. */
export interface Quirk {
  readonly name: string;
  readonly module: string;
  readonly description: string;
  readonly switches: ModuleQuirks;
}

/** Every quirk, in `spar list` order. */
export const QUIRKS: readonly Quirk[] = [
  {
    name: 'visorhba-resume-no-complete',
    module: 'visorclientbus',
    description:
      'The upstream driver never completes a resume: no CHANGESTATE(running) response, so the device keeps its pending request and later CHANGESTATE/DESTROY fail EIO (§3.5, §4.2).',
    switches: { visorclientbus: { vhbaResumeNoComplete: true } },
  },
  {
    name: 'lose-pending-on-pause',
    module: 'virthba',
    description:
      'Seeded recovery bug: on pause one pending request is dropped instead of completed with DID_RESET, so it never completes.',
    switches: { virthba: { losePendingOnPause: true } },
  },
  {
    name: 'double-complete-on-resume',
    module: 'virthba',
    description:
      'Seeded recovery bug: pause completes pending requests with DID_RESET but keeps their slots, so a stale response after resume completes them again.',
    switches: { virthba: { doubleCompleteOnResume: true } },
  },
  {
    name: 'xmit-after-teardown',
    module: 'virtnic',
    description:
      'Seeded netfront-style recovery bug: the pause teardown keeps unacknowledged transmits (and accepts new ones) and resume re-sends them all, so a frame the IOSP switched before it died, whose XMIT_DONE was lost, is delivered twice.',
    switches: { virtnic: { xmitAfterTeardown: true } },
  },
  {
    name: 'serverdown-twice-unanswered',
    module: 'virthba, virtnic',
    description:
      'A pause while the server is already down returns without a pause response, so the CHANGESTATE stays pending for good (§4.6, §4.7).',
    switches: {
      virthba: { pauseWhileDownUnanswered: true },
      virtnic: { pauseWhileDownUnanswered: true },
    },
  },
  {
    name: 'virthba-resume-during-serverdown',
    module: 'virthba',
    description:
      'A resume while serverdown work is queued is answered success and does nothing; the device then ends down (§4.6).',
    switches: { virthba: { resumeWhileServerdownPending: true } },
  },
  {
    name: 'uislib-destroy-uses-bus-no',
    module: 'virtpci (uislib)',
    description:
      "uislib's destroy_device reads the device number from bus_no, so a DEVICE_DESTROY of a vhba/vnic leaves it bound (§3.6).",
    switches: { virtpci: { destroyDeviceUsesBusNo: true } },
  },
  {
    name: 'clientbus-vhba-rc-positive',
    module: 'visorclientbus',
    description:
      'A failed vhba pause/resume passes a positive code, which visorchipset reads as success (§5.11).',
    switches: { visorclientbus: { vhbaStateChangeRcPositive: true } },
  },
];

/** The unknown names among `names`. */
export function unknownQuirks(
  names: readonly string[],
  known: readonly Quirk[] = QUIRKS,
): string[] {
  return names.filter((n) => !known.some((q) => q.name === n));
}

/** The machine switches of the named quirks, merged per module (unknown names are ignored). */
export function moduleQuirks(
  names: readonly string[],
  known: readonly Quirk[] = QUIRKS,
): ModuleQuirks {
  const out: Record<string, Record<string, boolean>> = {};
  for (const quirk of known.filter((q) => names.includes(q.name))) {
    for (const [module, switches] of Object.entries(quirk.switches))
      out[module] = { ...out[module], ...switches };
  }
  return out as ModuleQuirks;
}
