// Codec for the network member of a vnic `uiscmdrsp` slot (cmdtype CMD_NET_TYPE; spar-protocol.md
// §4.3, §4.4.1, §4.4.3 `uiscmdrsp_net`, §4.4.4): receive posts, receives, transmits and their
// completions, and the enable/disable, promiscuous, link-status and MAC-address messages.
// Encoders write our own values and assert them (a bad value is our bug); the decoder reads bytes
// another partition wrote, never throws and returns typed errors. The encoders assert exactly what
// the decoder checks, so every encodable message decodes and every decoded message re-encodes.
//
// This module is the codec's import path; its parts sit beside it: the message types in
// uiscmdrsp-net-message.ts, field offsets and byte helpers in uiscmdrsp-net-layout.ts, the
// encoders in uiscmdrsp-net-encode.ts, the decoder and its rules for hostile bytes in
// uiscmdrsp-net-decode.ts.

export { decodeNet } from './uiscmdrsp-net-decode.js';
export { encodeNet, encodeNetInto } from './uiscmdrsp-net-encode.js';
export { NET_FIELDS, PHYS_INFO_FIELDS } from './uiscmdrsp-net-layout.js';
export type {
  NetDecodeError,
  NetDecodeErrorCode,
  NetMessage,
  PhysInfo,
} from './uiscmdrsp-net-message.js';
