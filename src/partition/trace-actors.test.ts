// The actors and events a scenario's `when:` may name (trace-actors.ts) against real runs: every
// record of a shipped scenario's sim run is one a condition may name, and the table is no wider
// than the scenario (a guest without a device of a kind has none of its actors).

import { describe, expect, test } from 'vitest';
import { runScenario } from '../run/run-scenario.js';
import { loadShipped, simOptions } from '../run/testing/shipped.js';
import type { BadReference } from '../scenario/references.js';
import { checkTrigger } from '../scenario/trigger-check.js';
import { moduleHome, tracedModules } from './trace-actors.js';

describe('trace actors', () => {
  test('smoke: a command partition has its lifecycle, which records BOOTED', () => {
    const { scenario } = loadShipped('boot-minimal');
    const lifecycle = tracedModules(scenario, 'cp').find((m) => m.module === 'lifecycle');
    expect(lifecycle?.events).toContain('BOOTED');
  });

  // Between them: the command partition's recovery and the hypervisor's reboot, an IOSP, the Era A
  // client bus with vhba's and vnic's stacks, the visorbus drivers, a crash and reboots.
  test.each(['boot-minimal', 'guest-crash-reboot', 'iosp-hang-watchdog', 'iosp-reboot-network'])(
    'every record of a sim run of %s is one a when: may name',
    async (name) => {
      const loaded = loadShipped(name);
      const { trace } = await runScenario(loaded, simOptions(loaded.scenario.until));
      const seen = new Map(trace.map((r) => [`${r.actor} ${r.event}`, r]));
      expect(seen.size).toBeGreaterThan(10);
      const refused: string[] = [];
      for (const r of seen.values()) {
        const when = {
          partition: r.partition,
          actor: r.actor,
          event: r.event,
          occurrence: 1,
          after: 0,
        };
        const fault = { action: 'crash' as const, partition: r.partition, when };
        const errors: BadReference[] = [];
        checkTrigger({ ...loaded.scenario, faults: [fault] }, 0, errors);
        refused.push(...errors.map((e) => `${r.actor} ${r.event}: ${e.message}`));
      }
      expect(refused).toEqual([]);
    },
  );

  test("a guest has only its own devices' actors, and the client bus only with an Era A device", () => {
    const { scenario } = loadShipped('boot-minimal');
    const modules = tracedModules(scenario, 'guest1').map((m) => m.module);
    expect(modules).toContain('visorchipset');
    expect(modules).toContain('visorvideoclient');
    expect(modules).not.toContain('virthba');
    expect(modules).not.toContain('virtpci');
    expect(tracedModules(scenario, 'nobody')).toEqual([]);
    expect(moduleHome('virthba')).toBe('a guest with a vhba device');
    expect(moduleHome('virtpci')).toMatch(/^a guest with an Era A device \(vhba or vnic\)/);
    expect(moduleHome('visorchipst')).toBeUndefined();
  });

  test('polls are not trace events: the IOSP never records iosp.poll', () => {
    const { scenario } = loadShipped('iosp-reboot-storage');
    const iosp = tracedModules(scenario, 'iosp0').find((m) => m.module === 'iosp');
    expect(iosp?.events).toEqual(['iosp.initChannels']);
  });
});
