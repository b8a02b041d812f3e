// The names of the protocol numbers the human output prints: statuses (`status=22`) and segment
// states (`0x73`). Statuses take their names from the constants of
// controlvm.ts and so from spar-protocol.md §2.6–2.7: a controlvm `completion_status` is 0, a
// `CONTROLVM_RESP_*` code or a positive Linux errno, and the guest's internal answers carry the
// same numbers negated. Where one number has two names (5 is EIO and
// CONTROLVM_RESP_ID_INVALID_FOR_CLIENT) both are given: the number alone does not say which.
// A number the reference does not name gets no name (docs/glossary.md says so).

import * as controlvm from './controlvm.js';

/** Every `CONTROLVM_RESP_*` constant of controlvm.ts, by value. */
const RESP_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(controlvm).flatMap(([name, value]) =>
    name.startsWith('CONTROLVM_RESP_') && typeof value === 'number' ? [[value, name]] : [],
  ),
);

/** The Linux errno names of §2.6, by value. */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(controlvm.LINUX_ERRNO).map(([name, value]) => [value, name]),
);

/**
 * The reference's name(s) for a completion status, either sign (`-19` → `ENODEV`), or null when
 * it names none; 0 is `CONTROLVM_RESP_SUCCESS`.
 */
export function completionStatusName(status: number): string | null {
  const value = Math.abs(status);
  const names = [ERRNO_NAMES.get(value), RESP_NAMES.get(value)].filter(
    (n): n is string => n !== undefined,
  );
  return names.length === 0 ? null : names.join(' or ');
}

/** The SEGMENT_STATE_* values of controlvm.ts by value, named as §3.1 does (`standby`). */
const SEGMENT_STATE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(controlvm).flatMap(([name, value]) =>
    name.startsWith('SEGMENT_STATE_') && typeof value === 'number'
      ? [[value, name.slice('SEGMENT_STATE_'.length).toLowerCase()]]
      : [],
  ),
);

/** A DEVICE_CHANGESTATE target state as `0x73 (standby)`, or bare hex when §3.1 names none. */
export function segmentStateText(state: number): string {
  const hex = `0x${state.toString(16)}`;
  const name = SEGMENT_STATE_NAMES.get(state);
  return name === undefined ? hex : `${hex} (${name})`;
}
