// The mutation catalogue (issue #14 item 5): each mutant breaks one recovery rule with a small
// search/replace on a short snippet, and names the properties and shipped scenarios expected to
// kill it (`npm run mutate`, docs/testing.md "Mutation testing"). Two rules only real threads or
// the scheduler's contract can break visibly, so their killers are the cross-thread stress test
// and the determinism suite (issue #14: "for those the cross-thread stress test and the
// determinism suite count"). `unitTests` are run only with `--unit` and reported apart.

import type { Killer, Mutant } from './mutant.js';

const STORAGE: Killer = { kind: 'fuzz', property: 'storage-recovery' };
const NET: Killer = { kind: 'fuzz', property: 'net-recovery' };
const CONTROL: Killer = { kind: 'fuzz', property: 'control-plane-convergence' };
const RING_FULL: Killer = { kind: 'fuzz', property: 'ring-full' };
const RESET_BUDGET: Killer = { kind: 'fuzz', property: 'reset-budget' };
const run = (scenario: string): Killer => ({ kind: 'run', scenario });
const test = (file: string): Killer => ({ kind: 'test', file });
// storage-recovery must find the seeded bug `quirk` by the promise its test names.
const storageCanary = (quirk: string): Killer => ({
  kind: 'canary',
  quirk,
  file: 'properties/storage-recovery.property.test.ts',
  test: `the quirk ${quirk} is found`,
});

const SIGNAL_QUEUE = 'src/channel/signal-queue.ts';
const VALIDATE = 'src/channel/validate.ts';
const CROSS_THREAD = 'src/channel/signal-queue.cross-thread.test.ts';

/** Every mutant, in the order, then the project's own. */
export const CATALOGUE: readonly Mutant[] = [
  {
    name: 'virthba-drops-on-pause',
    breaks: 'virthba completes every pending command with DID_RESET on pause (one is dropped)',
    edits: [
      {
        file: 'machines/virthba.logic.ts',
        search: '} else if (quirks.losePendingOnPause && index === lowestScsi) {',
        replace: '} else if (index === lowestScsi) {',
      },
    ],
    killers: [STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/virthba.recovery.test.ts'],
  },
  {
    name: 'virthba-double-completes-on-pause',
    breaks:
      'a command completed on pause leaves the table (its slot is kept, a late response completes it again)',
    edits: [
      {
        file: 'machines/virthba.logic.ts',
        search: 'if (!quirks.doubleCompleteOnResume) slots[index] = null;',
        replace: '// the slot is kept',
      },
    ],
    killers: [STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/virthba.recovery.test.ts'],
  },
  {
    name: 'visorchipset-no-ack',
    breaks: 'visorchipset acks every controlvm command on queue 3 (no ack is written)',
    edits: [
      {
        file: 'src/partition/controlvm-port.ts',
        search:
          "else if (this.channel.queue(CONTROLVM_QUEUE_ACK).insert(ackFor(this.slot)) !== 'inserted') {",
        replace: 'else if (false) {',
      },
    ],
    killers: [CONTROL, run('boot-minimal')],
    unitTests: ['src/partition/controlvm-port.test.ts'],
  },
  {
    name: 'visorchipset-acks-after-response',
    breaks: 'the ack goes onto queue 3 before the response (it is held to the next poll)',
    edits: [
      {
        file: 'src/partition/controlvm-port.ts',
        search: 'if (this.ackAfterResponse) this.heldAcks.push(ackFor(this.slot));',
        replace: 'if (true) this.heldAcks.push(ackFor(this.slot));',
      },
    ],
    killers: [CONTROL, run('boot-minimal')],
    unitTests: ['src/check/ack-order.test.ts'],
  },
  {
    name: 'resume-never-answered',
    breaks: 'a vhba resume is answered (it is settled without a CHANGESTATE response)',
    edits: [
      {
        file: 'machines/visorclientbus.machine.ts',
        search: "{ type: 'isQuirkOn', params: { quirk: 'vhbaResumeNoComplete' as const } },",
        replace: "not({ type: 'isQuirkOn', params: { quirk: 'vhbaResumeNoComplete' as const } }),",
      },
    ],
    killers: [STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/visorclientbus.devices.test.ts'],
  },
  {
    name: 'head-published-before-payload',
    breaks: 'the producer publishes head only after the slot holds the payload',
    edits: [
      {
        file: SIGNAL_QUEUE,
        search: 'const slot = g.slotsOffset + newHead * g.signalSizeBytes;\n    this.mem.u8.set',
        replace:
          'Atomics.store(i32, this.word + SQ.head / 4, newHead);\n    const slot = g.slotsOffset + newHead * g.signalSizeBytes;\n    this.mem.u8.set',
      },
    ],
    killers: [test(CROSS_THREAD)],
    unitTests: [],
  },
  {
    name: 'ring-full-check-off-by-one',
    breaks: 'a ring holds max_slots - 1 signals (the full check lets one more in, over the tail)',
    edits: [
      {
        file: SIGNAL_QUEUE,
        search: 'if (newHead === tail) {',
        replace: 'if ((head - tail + g.slotCount) % g.slotCount > g.slotCount - 1) {',
      },
    ],
    killers: [RING_FULL, STORAGE],
    unitTests: ['src/channel/signal-queue.test.ts'],
  },
  {
    name: 'write-acked-before-disk',
    breaks:
      'the IOSP answers a write only once the disk has it (here: at once, the disk later; the quirk write-ack-before-disk switched on for good)',
    edits: [
      {
        file: 'src/kinds/vhba/scsi-server.ts',
        search:
          "if (this.quirks?.['ackWritesEarly'] === true && command.dataDir === UIS_DMA_TO_DEVICE) {",
        replace: 'if (command.dataDir === UIS_DMA_TO_DEVICE) {',
      },
    ],
    killers: [STORAGE, run('iosp-reboot-storage')],
    unitTests: ['src/kinds/vhba/scsi-server.test.ts'],
  },
  {
    name: 'retries-beyond-budget',
    breaks: 'the midlayer retries DID_RESET at most retryBudget times (here once more)',
    edits: [
      {
        file: 'machines/scsi-midlayer.logic.ts',
        search: 'return liveOf(context, tag).resetRetries < context.retryBudget;',
        replace: 'return liveOf(context, tag).resetRetries <= context.retryBudget;',
      },
    ],
    killers: [RESET_BUDGET, STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/scsi-midlayer.machine.test.ts'],
  },
  {
    name: 'midlayer-double-completion',
    breaks: 'a request that succeeds is reported to the upper layer once (here twice)',
    edits: [
      {
        file: 'machines/scsi-midlayer.machine.ts',
        search: 'enqueue.emit(data === undefined ? done : { ...done, data });',
        replace:
          'enqueue.emit(data === undefined ? done : { ...done, data });\n      enqueue.emit(done);',
      },
    ],
    killers: [STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/scsi-midlayer.machine.test.ts'],
  },
  {
    name: 'cp-skips-a-resume',
    breaks: 'the CP resumes every device of an IOSP that came back (here all but one)',
    edits: [
      {
        file: 'machines/iosp-recovery.machine.ts',
        search: 'const changes = changesFor(context, iospOf(event), SEGMENT_RUNNING);',
        replace: 'const changes = changesFor(context, iospOf(event), SEGMENT_RUNNING).slice(1);',
      },
    ],
    killers: [STORAGE, NET, run('iosp-reboot-storage')],
    unitTests: ['machines/iosp-recovery.machine.test.ts'],
  },
  {
    name: 'switch-floods-across-segments',
    breaks: 'a flood reaches only the ports of the in-port’s segment (here every port)',
    edits: [
      {
        file: 'src/kinds/vnic/virtual-switch.ts',
        search: 'const flood = Object.freeze(port.segment.ports.filter((id) => id !== port.id));',
        replace:
          'const flood = Object.freeze(this.#ports.map((p) => p.id).filter((id) => id !== port.id));',
      },
    ],
    killers: [NET, run('iosp-reboot-network')],
    unitTests: ['src/kinds/vnic/nic-server.switching.test.ts'],
  },
  {
    name: 'virtnic-resends-after-resume',
    breaks:
      'virtnic forgets the transmits of the dead ring on pause (here it re-sends them after resume)',
    edits: [
      {
        file: 'machines/virtnic.steps.ts',
        search: 'stopIo(d, context.quirks.xmitAfterTeardown);',
        replace: 'stopIo(d, true);',
      },
      {
        file: 'machines/virtnic.steps.ts',
        search: 'if (context.quirks.xmitAfterTeardown) {',
        replace: 'if (true) {',
      },
    ],
    killers: [NET, run('iosp-reboot-network')],
    unitTests: ['machines/virtnic.recovery.test.ts'],
  },
  {
    name: 'disk-served-to-unshared-guest',
    breaks: 'the IOSP serves a guest only the disks shared with it (here every disk it owns)',
    edits: [
      {
        file: 'src/kinds/vhba/scsi-server.ts',
        search: 'disksSeenBy(ctx.config, ctx.partition, record.guestPartition, ignoreSharing)',
        replace: 'disksSeenBy(ctx.config, ctx.partition, record.guestPartition, true)',
      },
    ],
    killers: [STORAGE, run('storage-isolation')],
    unitTests: ['src/kinds/vhba/scsi-server.test.ts'],
  },
  {
    name: 'read-accepts-older-version',
    breaks:
      "a read must return a version the ledger allows (here any older one passes too, in the workload's check and in the shared-disk register)",
    edits: [
      {
        file: 'machines/block-workload.logic.ts',
        search: 'if (got === null || !allowed.includes(got)) return',
        replace:
          'if (got === null || (!allowed.includes(got) && got > Math.min(...allowed))) return',
      },
      {
        file: 'src/check/block-register.ts',
        search: 'if (!registerAllows(writes.get(lba) ?? [], got, op.startMs, op.endMs))',
        replace:
          'if (!registerAllows(writes.get(lba) ?? [], got, Number.NEGATIVE_INFINITY, op.endMs))',
      },
    ],
    // No correct run ever reads stale data: only a seeded stale read can show the check is gone.
    killers: [storageCanary('write-ack-before-disk'), STORAGE],
    unitTests: ['machines/block-workload.logic.test.ts'],
  },
  {
    name: 'ties-by-insertion-order',
    breaks: 'same-instant events are ordered by a seeded tie-breaker (here by insertion only)',
    edits: [
      {
        file: 'src/runtime/sim/scheduler.ts',
        search: '  if (a.tie !== b.tie) return a.tie < b.tie;\n',
        replace: '',
      },
    ],
    killers: [
      { kind: 'determinism', property: 'storage-recovery' },
      test('src/runtime/sim/determinism.test.ts'),
    ],
    unitTests: ['src/runtime/sim/scheduler.test.ts'],
  },
  {
    name: 'validation-skips-head-tail-bounds',
    breaks:
      'head and tail are range-checked on every queue operation and header check (here never)',
    edits: [
      {
        file: SIGNAL_QUEUE,
        search: 'if (head < 0 || head >= g.slotCount) {',
        replace: 'if (false) {',
      },
      {
        file: SIGNAL_QUEUE,
        search: 'if (tail < 0 || tail >= g.slotCount) {',
        replace: 'if (false) {',
      },
      // The same bounds in the header check every poll runs (Channel.check, channel-corrupt).
      { file: VALIDATE, search: '  if (head >= slotCount)\n', replace: '  if (false)\n' },
      { file: VALIDATE, search: '  if (tail >= slotCount)\n', replace: '  if (false)\n' },
    ],
    killers: [run('channel-corrupt'), STORAGE, NET],
    unitTests: ['src/channel/validate.test.ts', 'src/channel/signal-queue.test.ts'],
  },
  // The project's own.
  {
    name: 'sharing-filter-of-server-and-oracle',
    breaks:
      'the sharing filter the IOSP serves from (disksSeenBy) keeps only the disks shared with the guest (here every shared disk; the storage-isolation oracle restates sharing from the configuration, sharedTargets)',
    edits: [
      {
        file: 'src/kinds/vhba/hardware.ts',
        search: '.filter((d) => ignoreSharing || d.sharedWith.includes(guest))',
        replace: '.filter((d) => ignoreSharing || d.sharedWith.length > 0)',
      },
    ],
    killers: [STORAGE, run('storage-isolation')],
    unitTests: ['src/kinds/vhba/scsi-server.test.ts'],
  },
  {
    name: 'iosp-keeps-stale-ring',
    breaks:
      'a rebooted IOSP re-initialises its channels (here it keeps a ring that already says READY)',
    edits: [
      {
        file: 'src/partition/iosp-host.ts',
        search: '    serverInitializeChannel(record);\n    const kind',
        replace:
          '    const seen = ((globalThis as { staleRings?: WeakSet<object> }).staleRings ??= new WeakSet<object>());\n    if (!seen.has(record.buffer)) serverInitializeChannel(record);\n    seen.add(record.buffer);\n    const kind',
      },
    ],
    killers: [STORAGE, NET, run('iosp-reboot-storage'), run('iosp-reboot-network')],
    unitTests: [],
  },
  {
    name: 'cp-skips-a-pause',
    breaks: 'the CP pauses every device of an IOSP that died (here all but one)',
    edits: [
      {
        file: 'machines/iosp-recovery.machine.ts',
        search: 'const changes = changesFor(context, iospOf(event), SEGMENT_STANDBY);',
        replace: 'const changes = changesFor(context, iospOf(event), SEGMENT_STANDBY).slice(1);',
      },
    ],
    killers: [STORAGE, NET, run('iosp-reboot-storage')],
    unitTests: ['machines/iosp-recovery.machine.test.ts'],
  },
  {
    name: 'busy-counts-as-reset-retry',
    breaks: 'a busy bounce is not a retry (here each one spends the DID_RESET budget)',
    edits: [
      {
        file: 'machines/scsi-midlayer.machine.ts',
        search: "const live = { ...liveOf(context, tag), phase: 'issued' } as const;",
        replace:
          "const live = { ...liveOf(context, tag), phase: 'issued', resetRetries: liveOf(context, tag).resetRetries + 1 } as const;",
      },
    ],
    killers: [RESET_BUDGET, STORAGE, run('iosp-reboot-storage')],
    unitTests: ['machines/scsi-midlayer.machine.test.ts'],
  },
  {
    name: 'write-error-reported-good',
    breaks: 'a write the disk refused is answered CHECK CONDITION (here GOOD)',
    edits: [
      {
        file: 'src/kinds/vhba/scsi-target.ts',
        search: 'if (result.ok) return good(result.value ?? null);',
        replace:
          'if (result.ok || isWrite) return good(result.ok ? (result.value ?? null) : null);',
      },
    ],
    killers: [STORAGE],
    unitTests: ['src/kinds/vhba/scsi-target.test.ts'],
  },
  {
    name: 'pause-leaves-task-management-waiting',
    breaks: 'a pause wakes every task-management waiter (here they keep their slots)',
    edits: [
      {
        file: 'machines/virthba.logic.ts',
        search: "counts = bump(counts, 'taskMgmtSucceeded');\n      slots[index] = null;",
        replace: "counts = bump(counts, 'taskMgmtSucceeded');",
      },
    ],
    killers: [RESET_BUDGET, STORAGE],
    unitTests: ['machines/virthba.task-management.test.ts'],
  },
];
