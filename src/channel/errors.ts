// Typed errors for hostile channel memory (STYLE §6 class 2; visor_check_channel §1.7). Every
// error names the field, the expected and the actual value, and the queue when there is one.

/** What was wrong with a channel's bytes or with a requested state change. */
export type ChannelErrorCode =
  | 'channel-too-small'
  | 'bad-signature'
  | 'wrong-type'
  | 'version-mismatch'
  | 'size-too-small'
  | 'size-exceeds-memory'
  | 'bad-ch-space-offset'
  | 'misaligned'
  | 'queue-outside-channel'
  | 'bad-signal-size'
  | 'bad-max-slots'
  | 'slots-outside-channel'
  | 'index-out-of-range'
  | 'header-changed'
  | 'bad-slot'
  | 'bad-client-state'
  | 'illegal-client-state-transition';

/** A typed channel error: never thrown, always returned. */
export interface ChannelError {
  readonly code: ChannelErrorCode;
  /** Kernel field name, e.g. `ch_space_offset` or `signal_queue_header.head`. */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  /** Queue number when the error is in a signal queue header. */
  readonly queue?: number;
  /** One line for a human: what, where, expected and actual. */
  readonly message: string;
}

/** Builds a {@link ChannelError} with its one-line message. */
export function channelError(
  code: ChannelErrorCode,
  field: string,
  expected: string | number | bigint,
  actual: string | number | bigint,
  queue?: number,
): ChannelError {
  const where = queue === undefined ? field : `queue ${queue} ${field}`;
  const message = `${code}: ${where} is ${String(actual)}, expected ${String(expected)}`;
  const base = { code, field, expected: String(expected), actual: String(actual), message };
  return queue === undefined ? base : { ...base, queue };
}
