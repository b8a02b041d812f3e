// Messages and helpers the uiscmdrsp-net tests share (uiscmdrsp-net.encode / .decode / .fuzz
// .test.ts), so each message is written once: one of every `net.type` (spar-protocol.md §4.4.1),
// with pointers and u64s that exercise both words.

import { RCVPOST_BUF_SIZE, XMIT_FAILED } from '../uiscmdrsp-constants.js';
import type { NetMessage, PhysInfo } from '../uiscmdrsp-net.js';

export { le, unwrap } from './slot-view.js';

/** 2^53 - 1, the largest pointer the codec carries. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A broadcast IPv4 Ethernet header: destination, source, EtherType. */
export const ETHHDR = Uint8Array.of(
  ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  ...[2, 0, 0, 0, 0, 1],
  ...[0x08, 0x00],
);
/** A locally administered unicast MAC. */
export const MAC = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);

/** The message of one kind. */
export type Of<K extends NetMessage['kind']> = Extract<NetMessage, { kind: K }>;

/** A receive post whose `buf` and `unique_num` need both u32 words. */
export const rcvPost: Of<'rcvPost'> = {
  kind: 'rcvPost',
  buf: 0x1_0000_2000,
  frag: { pfn: 0x12345, off: 64, len: RCVPOST_BUF_SIZE },
  uniqueNum: 4294667296,
};
/** A receive over three buffers, the last at MAX_SAFE. */
export const rcv: Of<'rcv'> = {
  kind: 'rcv',
  buf: 0x1000,
  rcvDoneLen: 9000,
  rcvbufs: [0x1000, 0x2000, MAX_SAFE],
  uniqueNum: 4294667296,
  rcvsDroppedDelta: 7,
};
/** A 1514-byte transmit in two fragments, the second with a pfn above 2^32. */
export const xmit: Of<'xmit'> = {
  kind: 'xmit',
  buf: 0xabc_def0_1234,
  len: 1514,
  frags: [
    { pfn: 7, off: 3000, len: 1096 },
    { pfn: 2 ** 40, off: 0, len: 418 },
  ],
  ethhdr: ETHHDR,
};

/** One message of every kind. */
export const EVERY_KIND: readonly NetMessage[] = [
  rcvPost,
  rcv,
  xmit,
  { kind: 'xmitDone', buf: 0xabc_def0_1234, result: XMIT_FAILED },
  { kind: 'enbdis', context: 0xfeed, enable: 1 },
  { kind: 'enbdisAck', context: 0xfeed, enable: 0 },
  { kind: 'promisc', context: 0xfeed, enable: 0x100 },
  { kind: 'connectStatus', context: 0, enable: 1 },
  { kind: 'macaddr', context: 0xfeed, mac: MAC },
  { kind: 'macaddrAck', context: 0xfeed, mac: MAC },
];

/** A transmit of the given fragments, `len` their total. */
export function frame(frags: readonly PhysInfo[]): Of<'xmit'> {
  const len = frags.reduce((sum, frag) => sum + frag.len, 0);
  return { kind: 'xmit', buf: 1, len, frags, ethhdr: ETHHDR };
}
