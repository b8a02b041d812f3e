// Helpers every codec test uses on slot bytes (uiscmdrsp SCSI and net tests).

/** A little-endian reader/writer over exactly the slot's bytes, for writing offsets literally. */
export const le = (slot: Uint8Array) => new DataView(slot.buffer, slot.byteOffset, slot.byteLength);

type Decoded<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** The decoded value; a decode error fails the test with its message. */
export function unwrap<T, E extends { message: string }>(result: Decoded<T, E>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}
