// Runner for the storage-recovery property (STYLE §8) in the deterministic runtime, the proof that
// its checks are not inert (every generated fault kind fires; the channel check catches a broken
// counter and an illegal client-state change), and the canaries: both seeded recovery quirks, the
// seeded isolation bug iosp-ignores-shared-with and the upstream visorhba-resume-no-complete are
// found and shrunk. The worker runtime's runner is
// storage-recovery.workers.property.test.ts.
// `spar fuzz storage-recovery` runs the same property with more.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CH,
  CHANNELCLI_ATTACHED,
  CHANNELCLI_DISABLED,
  Channel,
  createChannel,
  setClientState,
  SQ,
} from '../src/channel/index.js';
import { runCampaign } from '../src/fuzz/campaign.js';
import { runSim } from '../src/run/run-sim.js';
import { ChannelWatch } from '../src/check/index.js';
import {
  FAULT_KINDS,
  loadPlan,
  storagePlan,
  storageCaseArbitrary,
  type StorageCase,
} from './storage-recovery.case.js';
import { runStorageCase, storageRecovery } from './storage-recovery.property.js';
import type { SparProperty } from './registry.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';

/** One 64-block disk on iosp0 for guest1, with a workload of `ops` requests. */
const oneDisk = (ops: number, writePercent: number): StorageCase['disks'][number] => ({
  iosp: 0,
  guests: [0],
  blocks: 64,
  latencyTenthsMs: [2, 8],
  workload: { queueDepth: 4, ops, writePercent, maxBlocks: 4 },
});

// 1000 runs at `seed` (default 1) with `quirks` switched on: how each quirk test looks for its
// counterexample. Which seed shrinks furthest depends on the arbitrary: with the channel and
// disk-slow faults drawn too, lose-pending-on-pause shrinks to one disk at seed 2 (two at seed 1).
const quirkCampaign = (quirks: readonly string[], seed = 1) =>
  runCampaign(storageRecovery as SparProperty<unknown>, {
    runs: 1000,
    seed,
    shard: { k: 1, n: 1 },
    timeBudgetMs: null,
    quirks,
    now: () => 0,
  });

// The quirk searches draw the whole fault arbitrary (guest crashes, 30–45 s slow disks): minutes
// of runs on a loaded machine, so the file allows each test 4 minutes.
describe('storage recovery', { timeout: 240_000 }, () => {
  test('smoke: one guest writes through an IOSP reboot and a reboot during its recovery; every promise holds', () => {
    const c: StorageCase = {
      disks: [oneDisk(150, 60)],
      guests: 1,
      iosps: 1,
      faults: [
        { kind: 'reboot', iosp: 0, atMs: 10, downMs: 30 },
        { kind: 'reboot-during-recovery', iosp: 0, bootedOccurrence: 2, afterMs: 2, downMs: 20 },
      ],
      simSeed: 1,
    };
    const outcome = runStorageCase(c, []);
    expect(outcome.violations, storageRecovery.describe(c)).toEqual([]);
    expect(outcome.faults.map((f) => f.atMs)).toEqual([10, 42]);
    expect(outcome.endedAtMs).toBeLessThan(outcome.plan.untilMs);
  });

  test('disks of 1024- and 4096-byte blocks keep every acknowledged write through an IOSP reboot, and the arbitrary draws every size', () => {
    for (const blockSize of [1024, 4096]) {
      const c: StorageCase = {
        disks: [{ ...oneDisk(120, 70), blockSize }],
        guests: 1,
        iosps: 1,
        faults: [{ kind: 'reboot', iosp: 0, atMs: 10, downMs: 30 }],
        simSeed: 2,
      };
      expect(storagePlan(c).disks[0]?.blockSize).toBe(blockSize);
      const outcome = runStorageCase(c, []);
      expect(outcome.violations, storageRecovery.describe(c)).toEqual([]);
    }
    const sizes = fc
      .sample(storageCaseArbitrary, { seed: 7, numRuns: 60 })
      .flatMap((c) => c.disks.map((d) => d.blockSize));
    expect(new Set(sizes)).toEqual(new Set([512, 1024, 4096]));
    // A case saved before sizes were drawn (no blockSize) still means 512-byte blocks.
    const legacy: StorageCase = {
      disks: [oneDisk(10, 50)],
      guests: 1,
      iosps: 1,
      faults: [],
      simSeed: 1,
    };
    expect(storagePlan(legacy).disks[0]?.blockSize).toBe(512);
  });

  test('sampling every virtual ms does not change the run: the same trace hash as without the hook', () => {
    const c: StorageCase = {
      disks: [oneDisk(60, 50)],
      guests: 1,
      iosps: 1,
      faults: [{ kind: 'crash-then-reboot', iosp: 0, atMs: 5, gapMs: 3, downMs: 10 }],
      simSeed: 3,
    };
    const plan = storagePlan(c);
    let samples = 0;
    const sampled = runSim(loadPlan(plan, []), c.simSeed, 120, { everyMs: () => void samples++ });
    expect(samples).toBe(121);
    expect(sampled.traceHash).toBe(runSim(loadPlan(plan, []), c.simSeed, 120).traceHash);
  });

  test('the channel check reports a num_sent that disagrees with the ring and a client state that leaves DISABLED for ATTACHED', () => {
    const buffer = createChannel(VHBA_CHANNEL);
    const watch = ChannelWatch.attach('vhba', buffer, VHBA_CHANNEL);
    if (!(watch instanceof ChannelWatch)) throw new Error(watch.text);
    const channel = Channel.attachAs(buffer, VHBA_CHANNEL);
    if (!channel.ok) throw new Error(channel.error.message);
    const { memory } = channel.value;
    for (let i = 0; i < 3; i++) channel.value.queue(0).insert(new Uint8Array([i]));
    expect(setClientState(memory, 'os', CHANNELCLI_ATTACHED).ok).toBe(true);
    expect(setClientState(memory, 'os', CHANNELCLI_DISABLED).ok).toBe(true);
    expect(watch.check(1)).toEqual([]); // DETACHED → DISABLED between two samples: legal
    // A producer that counts an insert it never made; a client that leaves DISABLED (§1.3: only for OWNED).
    memory.writeU64(VHBA_CHANNEL.chSpaceOffsetBytes + SQ.numSent, 4n);
    Atomics.store(memory.i32, CH.cliStateOs / 4, CHANNELCLI_ATTACHED);
    expect(watch.check(2).map((f) => f.text)).toEqual([
      `vhba queue 0 at 2 ms: num_sent 4 − num_received 0 = 4, occupancy 3, max_slots ${channel.value.queue(0).slotCount}`,
      'vhba at 2 ms: cli_state_os DISABLED → ATTACHED, not along §1.3',
    ]);
  });

  test('for any topology, workload and IOSP / disk fault schedule: no lost acknowledged write, exactly-once completion, guests running, IO completes within the bound, channel invariants throughout', () => {
    const p = storageRecovery;
    fc.assert(
      fc.property(p.arbitrary, (value) => {
        expect(p.run(value, []).violations, p.describe(value)).toEqual([]);
      }),
      { numRuns: p.testRuns },
    );
  });

  test('over a fixed batch of generated cases every promise holds and every generated fault kind fires at least once, and the error handler sends task management (no inert faults)', () => {
    const batch = fc.sample(storageRecovery.arbitrary, { seed: 20261139, numRuns: 24 });
    const fired = new Map<string, number>(FAULT_KINDS.map((k) => [k, 0]));
    let taskMgmt = 0;
    for (const c of batch) {
      const outcome = runStorageCase(c, []);
      expect(outcome.violations, storageRecovery.describe(c)).toEqual([]);
      taskMgmt += outcome.trace.filter((r) => r.event === 'hba.taskMgmt').length;
      c.faults.forEach((f, i) => {
        const records = outcome.plan.faultOrigin.flatMap((origin, index) =>
          origin === i ? [outcome.faults[index]] : [],
        );
        if (
          records.length > 0 &&
          records.every((r) => r !== undefined && r.atMs !== null && r.refused === null)
        )
          fired.set(f.kind, (fired.get(f.kind) ?? 0) + 1);
      });
    }
    for (const kind of FAULT_KINDS) expect(fired.get(kind), `${kind} fired`).toBeGreaterThan(0);
    // A disk-slow past sd's 30 s timeout ran the error handler (aborts or resets were sent).
    expect(taskMgmt).toBeGreaterThan(0);
  });

  test('the quirk lose-pending-on-pause is found within 1000 runs and shrunk to one guest, one disk and at most two faults: its IO never completes', async () => {
    const outcome = await quirkCampaign(['lose-pending-on-pause'], 2);
    expect(outcome.verdict).toBe('fail');
    const c = outcome.counterexample?.value as StorageCase;
    expect(
      outcome.counterexample?.violations.every((v) => v.startsWith('io-completes-after-heal: ')),
    ).toBe(true);
    expect(storagePlan(c).guests).toHaveLength(1);
    expect(c.disks).toHaveLength(1);
    expect(c.faults.length).toBeLessThanOrEqual(2);
    expect(c.disks[0]?.workload.ops).toBeLessThanOrEqual(40);
  });

  test('the quirk double-complete-on-resume is found within 1000 runs and shrunk to one guest, one disk and at most two faults: a request completes twice, or its slot stays held', async () => {
    const outcome = await quirkCampaign(['double-complete-on-resume']);
    expect(outcome.verdict).toBe('fail');
    const c = outcome.counterexample?.value as StorageCase;
    // Keeping the slots shows first as a completion twice or as slots held with no request live.
    expect(outcome.counterexample?.violations).toContainEqual(
      expect.stringMatching(
        /^(exactly-once-completion: guest1: \d+ duplicate completion|slots-released: guest1: vhba \d+ holds \d+ pending slot)/,
      ),
    );
    expect(storagePlan(c).guests).toHaveLength(1);
    expect(c.disks).toHaveLength(1);
    expect(c.faults.length).toBeLessThanOrEqual(2);
    expect(c.disks[0]?.workload.ops).toBeLessThanOrEqual(40);
  });

  // The upstream quirk (§3.5, §4.2): the first recovery's CHANGESTATE(running) is never answered,
  // so the CP (one command outstanding per guest, 30 s response timeout) holds the next outage's
  // standby behind it; the device is not paused, and a request in flight when the IOSP
  // re-initialises the channel is never completed. (Within the property's bound the CP never gets
  // as far as visorchipset's EIO refusal; run-scenario.test.ts shows that after the timeout.)
  test('the quirk visorhba-resume-no-complete is found within 1000 runs and shrunk to one guest, one disk and two or three faults: the next outage is never paused and its IO never completes', async () => {
    const quirks = ['visorhba-resume-no-complete'];
    const outcome = await quirkCampaign(quirks);
    expect(outcome.verdict).toBe('fail');
    const c = outcome.counterexample?.value as StorageCase;
    expect(outcome.counterexample?.violations).toContainEqual(
      expect.stringMatching(/^io-completes-after-heal: guest1: 1 of 1 workload\(s\) unfinished/),
    );
    expect(
      outcome.counterexample?.violations.every((v) => v.startsWith('io-completes-after-heal: ')),
    ).toBe(true);
    expect(storagePlan(c).guests).toHaveLength(1);
    expect(c.disks).toHaveLength(1);
    expect(c.faults.length).toBeGreaterThanOrEqual(2); // one outage is survived: IO flows after the unanswered resume
    expect(c.faults.length).toBeLessThanOrEqual(3);
    expect(c.disks[0]?.workload.ops).toBeLessThanOrEqual(40);
    expect(runStorageCase(c, []).violations, 'the quirk, not the case').toEqual([]);
    // Recovery asked for more state changes than reached the guest: the rest wait behind the resume.
    const { trace } = runStorageCase(c, quirks);
    const asked = trace.filter(
      (r) => r.actor === 'cp/iosp-recovery' && r.event === 'cp.changeState',
    ).length;
    const sent = trace.filter(
      (r) =>
        r.actor === 'cp/command-partition' &&
        r.event === 'controlvm.send' &&
        String(r.detail?.['text'] ?? '').startsWith('CONTROLVM_DEVICE_CHANGESTATE'),
    ).length;
    expect(sent).toBeLessThan(asked);
  });

  test('the quirk iosp-ignores-shared-with is found within 1000 runs and shrunk to one IOSP, two guests and two disks: a guest scans a disk not shared with it', async () => {
    const quirks = ['iosp-ignores-shared-with'];
    const outcome = await quirkCampaign(quirks);
    expect(outcome.verdict).toBe('fail');
    const c = outcome.counterexample?.value as StorageCase;
    expect(outcome.counterexample?.violations).toContainEqual(
      expect.stringMatching(
        /^storage-isolation: guest\d: iosp0 target \d shows disk "disk\d", which is not shared with it there$/,
      ),
    );
    const plan = storagePlan(c);
    expect(plan.guests).toHaveLength(2);
    expect(plan.disks).toHaveLength(2);
    expect(new Set(plan.disks.map((d) => d.iosp)).size).toBe(1);
    expect(runStorageCase(c, []).violations, 'the quirk, not the case').toEqual([]);
  });
  test('the quirk write-ack-before-disk is found within 1000 runs and shrunk with no fault at all: a read returns data older than a write already answered GOOD', async () => {
    const outcome = await quirkCampaign(['write-ack-before-disk']);
    expect(outcome.verdict).toBe('fail');
    const c = outcome.counterexample?.value as StorageCase;
    expect(outcome.counterexample?.violations).toContainEqual(
      expect.stringMatching(/returned data older than an acknowledged write$/),
    );
    expect(storagePlan(c).scenario.faults, 'reads go stale without any fault').toEqual([]);
    expect(runStorageCase(c, []).violations, 'the quirk, not the case').toEqual([]);
  });
});
