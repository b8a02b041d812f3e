// The vhba kind's quirks: upstream behaviour of the storage path that differs from the correct
// one, and seeded recovery bugs the fuzzer must find (STYLE "Faithful"; spar-protocol.md §4.6).

import type { Quirk } from '../../quirks.js';

/** The vhba kind's quirks, in `spar list` order. */
export const VHBA_QUIRKS: readonly Quirk[] = [
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
    name: 'virthba-resume-during-serverdown',
    module: 'virthba',
    description:
      'A resume while serverdown work is queued is answered success and does nothing; the device then ends down (§4.6).',
    switches: { virthba: { resumeWhileServerdownPending: true } },
  },
  {
    name: 'clientbus-vhba-rc-positive',
    module: 'visorclientbus',
    description:
      'A failed vhba pause/resume passes a positive code, which visorchipset reads as success (§5.11).',
    switches: { visorclientbus: { vhbaStateChangeRcPositive: true } },
  },
  {
    name: 'iosp-ignores-shared-with',
    module: 'scsi-server (IOSP)',
    description:
      "Seeded isolation bug: the IOSP ignores a disk's sharedWith and serves every disk it owns to every guest, numbered in configuration order (§4.4.1).",
    switches: { 'scsi-server': { ignoreSharedWith: true } },
  },
  {
    name: 'write-ack-before-disk',
    module: 'scsi-server (IOSP)',
    description:
      'Seeded ordering bug: the IOSP answers a WRITE GOOD when it arrives and the disk takes the data only after its latency, so a read in between returns the older version (a write-back cache without its ordering, §4.4.1).',
    switches: { 'scsi-server': { ackWritesEarly: true } },
  },
];
