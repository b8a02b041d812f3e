// Named quirks (STYLE "Faithful"): upstream behaviour that differs from the correct one, modelled
// as an opt-in switch in a machine's input. The correct behaviour is the default; a scenario's
// `quirks:` list or `--quirk NAME` (spar run, spar fuzz) switches one on for the whole run. The
// control plane's and the Era A client path's own quirks are here; each device kind registers its own
// (src/kinds/<kind>/), and src/kinds/index.ts lists them all as QUIRKS.

/** Quirk switches by machine module (each module's `quirks` input): name → on. */
export type ModuleQuirks = Readonly<Record<string, Readonly<Record<string, boolean>>>>;

/** A quirk: its name, the modules it changes, what it does, and the switches it sets. */
export interface Quirk {
  readonly name: string;
  readonly module: string;
  readonly description: string;
  readonly switches: ModuleQuirks;
}

/**
 * The control plane's quirks (visorchipset's channel I/O) and the Era A client path's (virtpci,
 * uislib and the contract both drivers share).
 */
export const CORE_QUIRKS: readonly Quirk[] = [
  {
    name: 'ack-after-response',
    module: 'visorchipset',
    description:
      'Seeded bug: visorchipset handles a command before acking it, the ack going onto queue 3 only at its next poll, so a command answered at once has its response on queue 0 before its ack (§2.5 step 3b acks first).',
    switches: { visorchipset: { ackAfterResponse: true } },
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
    name: 'cp-restart-from-scratch',
    module: 'command-partition',
    description:
      "Seeded bug (the CP before its restart recovery): a rebooted command partition redoes bring-up as if it were its first boot, so the guest's ALREADY_DONE to a second CHIPSET_INIT fails the guest, old replies count as strays, and devices whose resume was not sent stay paused.",
    switches: { 'command-partition': { restartFromScratch: true } },
  },
  {
    name: 'uislib-destroy-uses-bus-no',
    module: 'virtpci (uislib)',
    description:
      "uislib's destroy_device reads the device number from bus_no, so a DEVICE_DESTROY of a vhba/vnic leaves it bound (§3.6).",
    switches: { virtpci: { destroyDeviceUsesBusNo: true } },
  },
];

/** The names among `names` that no quirk of `known` has. */
export function unknownQuirks(names: readonly string[], known: readonly Quirk[]): string[] {
  return names.filter((n) => !known.some((q) => q.name === n));
}

/** The machine switches of the named quirks, merged per module (unknown names are ignored). */
export function moduleQuirks(names: readonly string[], known: readonly Quirk[]): ModuleQuirks {
  const out: Record<string, Record<string, boolean>> = {};
  for (const quirk of known.filter((q) => names.includes(q.name))) {
    for (const [module, switches] of Object.entries(quirk.switches)) {
      out[module] = { ...out[module], ...switches };
    }
  }
  return out;
}
