// A side's quarantine of one channel it found corrupt (issue #14 item 3, `channel-corrupt`): the
// first typed channel error (validate.ts, signal-queue.ts, or a slot the decoder refused) ends the
// side's use of the channel, and is written to the trace once as a `CHANNEL_QUARANTINED` record of
// the actor that uses it, naming the channel, the error code, field, queue and one-line message.
// Shared by the guest's device stacks (vhba, vnic) and the IOSP's served channels.
//
// Choice: a quarantine is never lifted by the side itself. The IOSP's next boot re-initialises the
// channel (§4.1) and takes it into service afresh, so an IOSP reboot repairs its side; the guest's
// device stays quarantined until the guest probes it again (its reboot, or the device re-created).

import type { ChannelError } from '../channel/index.js';
import type { Environment } from './environment.js';

/** The trace event of a quarantine. */
export const CHANNEL_QUARANTINED = 'CHANNEL_QUARANTINED';

/** One side's quarantine of one channel. */
export class ChannelQuarantine {
  private found: ChannelError | null = null;

  constructor(
    private readonly env: Pick<Environment, 'now' | 'trace'>,
    private readonly partition: string,
    /** The actor that uses the channel (its systemId), for the trace. */
    private readonly actor: string,
    /** The channel's id (`guest1/vbus2:dev0`). */
    private readonly channelId: string,
  ) {}

  /** The error that quarantined the channel, or null while it is in use. */
  get error(): ChannelError | null {
    return this.found;
  }

  /** Whether the channel is quarantined. */
  get quarantined(): boolean {
    return this.found !== null;
  }

  /** Quarantines the channel for `error`; true the first time (then it is traced), else false. */
  enter(error: ChannelError): boolean {
    if (this.found !== null) return false;
    this.found = error;
    const { code, field, message } = error;
    // `guest=` names the partition whose fault it follows (the timeline's fault note).
    const [guest, local] = this.channelId.split('/');
    const text = `guest=${guest} ${local}: ${message}`;
    const detail = { text, channel: this.channelId, code, field };
    this.env.trace({
      atMs: this.env.now(),
      partition: this.partition,
      actor: this.actor,
      event: CHANNEL_QUARANTINED,
      state: 'quarantined',
      detail: error.queue === undefined ? detail : { ...detail, queue: error.queue },
    });
    return true;
  }
}

/** Whether a queue operation's outcome is a typed channel error. */
export function isChannelError(outcome: unknown): outcome is ChannelError {
  return typeof outcome === 'object' && outcome !== null && 'code' in outcome;
}
