// iosp: an IO service partition's service loop (spar-protocol.md §4.1, §4.4, §4.8): on boot it
// (re)initialises every channel it serves — server state ready, queues empty, as the guest
// expects after a reboot — and then polls them: each poll the partition host takes the guests'
// commands from the to-IOSP queues, runs them against the hardware and answers on the
// from-IOSP queues (the SCSI server is src/kinds/vhba/scsi-target.ts). Logic only: the host does the
// channel I/O and the disk access and reports back with CHANNELS_READY and POLL_DONE.
//
// Choice: the IOSP polls every jiffy while it has work — the last poll took commands or left
// responses waiting for ring space (`backlog`) — and a guest's doorbell wakes it at once. Idle, it
// polls every IDLE_POLL_JIFFIES (100): every guest rings when it queues a command, so an idle
// jiffy poll could only find empty queues (DESIGN "Time, polling": such polls may be skipped, and
// 35 idle seconds then cost 350 polls, not 35 000). Each poll beats the heartbeat the
// CP's watchdog reads every 100 ms and misses after 1 s, so an idle IOSP is never taken for hung.
// BACKLOG (a response just went to the outbox) starts a poll at once, so it is flushed at the
// fast cadence. The reference does not describe the IOSP's own loop (it is not a Linux driver); a
// fast poll keeps its latency below the guest's 10-jiffy channel poll.
// Choice: a ring during a poll is remembered and starts the next poll right after it (as in
// visorchipset), so no command waits a whole interval because it arrived mid-poll.

import { assign, emit, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';

/** Poll interval of an idle IOSP, in jiffies (see the header). */
export const IDLE_POLL_JIFFIES = 100;

/** Machine input. */
export interface IospInput {
  readonly partition: string;
  readonly jiffyMs: number;
}

/** Context: plain data. */
export interface IospContext extends IospInput {
  /** Polls run since boot, and commands they served. */
  readonly polls: number;
  readonly commands: number;
  readonly doorbellPending: boolean;
  /** The last poll took commands or left a backlog: poll again after one jiffy, not idle. */
  readonly busy: boolean;
}

/** Events from the partition host. */
export type IospEvent =
  | { readonly type: 'CHANNELS_READY' }
  /** `backlog`: responses still waiting in the outbox for ring space. */
  | { readonly type: 'POLL_DONE'; readonly commands: number; readonly backlog: number }
  | { readonly type: 'DOORBELL' }
  | { readonly type: 'BACKLOG' }
  | { readonly type: 'STOP' };

/** Effects for the partition host. */
export type IospEmitted = { readonly type: 'iosp.initChannels' } | { readonly type: 'iosp.poll' };

/** The context of a freshly booted IOSP: busy, so its first poll comes one jiffy after READY. */
export function initialIospContext(input: IospInput): IospContext {
  const { partition, jiffyMs } = input;
  return { partition, jiffyMs, polls: 0, commands: 0, doorbellPending: false, busy: true };
}

/** The iosp machine; create with `input: { partition, jiffyMs }` and the runtime's clock. */
export const iospMachine = setup({
  types: {
    context: {} as IospContext,
    events: {} as IospEvent,
    emitted: {} as IospEmitted,
    input: {} as IospInput,
  },
  delays: {
    pollInterval: ({ context }) => (context.busy ? 1 : IDLE_POLL_JIFFIES) * context.jiffyMs,
  },
  guards: {
    isDoorbellPending: ({ context }) => context.doorbellPending,
  },
  actions: {
    initChannels: emit({ type: 'iosp.initChannels' as const }),
    poll: emit({ type: 'iosp.poll' as const }),
    rememberDoorbell: assign({ doorbellPending: true }),
    forgetDoorbell: assign({ doorbellPending: false }),
    countPoll: assign(({ context, event }) => {
      const { commands, backlog } = narrowEvent(event, 'POLL_DONE');
      const busy = commands > 0 || backlog > 0;
      return { polls: context.polls + 1, commands: context.commands + commands, busy };
    }),
  },
}).createMachine({
  id: 'iosp',
  context: ({ input }) => initialIospContext(input),
  initial: 'booting',
  states: {
    booting: {
      description: 'Initialising every served channel (server state ready, queues empty, §4.1).',
      entry: 'initChannels',
      on: { CHANNELS_READY: { target: 'serving' }, STOP: { target: 'stopped' } },
    },
    serving: {
      initial: 'waiting',
      on: { STOP: { target: 'stopped' } },
      states: {
        waiting: {
          id: 'iospPollWait',
          always: {
            guard: 'isDoorbellPending',
            target: 'polling',
            actions: ['forgetDoorbell', 'poll'],
          },
          after: { pollInterval: { target: 'polling', actions: 'poll' } },
          on: {
            DOORBELL: { target: 'polling', actions: 'poll' },
            BACKLOG: { target: 'polling', actions: 'poll' },
          },
        },
        polling: {
          description: 'The host is serving the commands found in this poll.',
          on: {
            POLL_DONE: { target: 'waiting', actions: 'countPoll' },
            DOORBELL: { actions: 'rememberDoorbell' },
            BACKLOG: { actions: 'rememberDoorbell' },
          },
        },
      },
    },
    stopped: {
      description: 'Shut down; a crash throws the actor away instead.',
      type: 'final',
    },
  },
});
