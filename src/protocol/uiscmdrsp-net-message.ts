// The messages of the vnic `uiscmdrsp` network member as spar-sim holds them (spar-protocol.md
// §4.4.1 `net.type`, §4.4.3 `uiscmdrsp_net`), and the decoder's typed errors.
//
// Choice (the reference leaves it open): pointers (`buf`, `rcvbuf[i]`, `context`) and u64s
// (`unique_num`, `pi_pfn`) are JS numbers. A u64 above Number.MAX_SAFE_INTEGER is
// `pointer-too-large`, never a bigint or a rounded number. So simulated guests use small opaque
// handles, not canonical x86-64 kernel addresses (0xffff8880…), which the decoder would refuse.

/** `struct phys_info`: 4 KiB page frame number, offset in the page, length. */
export interface PhysInfo {
  readonly pfn: number;
  readonly off: number;
  readonly len: number;
}

/** One CMD_NET_TYPE message, by `net.type` (§4.4.1); pointers and u64s are safe integers. */
export type NetMessage =
  | {
      readonly kind: 'rcvPost';
      readonly buf: number;
      readonly frag: PhysInfo;
      readonly uniqueNum: number;
    }
  | {
      readonly kind: 'rcv';
      readonly buf: number;
      readonly rcvDoneLen: number;
      readonly rcvbufs: readonly number[];
      readonly uniqueNum: number;
      readonly rcvsDroppedDelta: number;
    }
  | {
      readonly kind: 'xmit';
      readonly buf: number;
      readonly len: number;
      readonly frags: readonly PhysInfo[];
      readonly ethhdr: Uint8Array;
    }
  | { readonly kind: 'xmitDone'; readonly buf: number; readonly result: number }
  | {
      readonly kind: 'enbdis' | 'enbdisAck' | 'promisc' | 'connectStatus';
      readonly context: number;
      readonly enable: number;
    }
  | { readonly kind: 'macaddr' | 'macaddrAck'; readonly context: number; readonly mac: Uint8Array };

/** Why slot bytes are not a usable network message. */
export type NetDecodeErrorCode =
  | 'short-slot'
  | 'not-net'
  | 'unknown-type'
  | 'pointer-too-large'
  | 'bad-frag-count'
  | 'bad-chain'
  | 'bad-length';

/** A typed decode error, never thrown; the message names field, actual and expected value. */
export interface NetDecodeError {
  readonly code: NetDecodeErrorCode;
  readonly message: string;
}
