// Wire layouts as data (STYLE §9 "one typed descriptor per struct"). A struct is declared once,
// member by member, exactly as the packed C header declares it; offsets are computed here and
// the total size is asserted against the reference at module load, so a typo in a member list
// fails immediately instead of silently shifting every later field.

import { assert } from './assert.js';
import { guidFromBytes, guidToBytes } from './guid.js';

/** Scalar member types of the packed x86-64 layouts (`ptr` is a kernel pointer, 8 bytes). */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'ptr' | 'be16' | 'guid';

const SCALAR_BYTES: Readonly<Record<ScalarType, number>> = {
  u8: 1,
  u16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  ptr: 8,
  be16: 2,
  guid: 16,
};

/** One member of a struct declaration. */
export type Member =
  | {
      readonly kind: 'scalar';
      readonly name: string;
      readonly type: ScalarType;
      readonly doc: string;
    }
  | {
      readonly kind: 'array';
      readonly name: string;
      readonly element: ScalarType | StructDescriptor;
      readonly count: number;
      readonly doc: string;
    }
  | {
      readonly kind: 'struct';
      readonly name: string;
      readonly struct: StructDescriptor;
      readonly doc: string;
    }
  | { readonly kind: 'group'; readonly name: string; readonly members: readonly Member[] }
  | { readonly kind: 'union'; readonly name: string | null; readonly members: readonly Member[] };

/** A leaf field: its dotted name, byte offset from the struct start, size and type. */
export interface FieldDescriptor {
  /** Kernel field name; members of nested structs and named unions are dotted (`scsi.handle`). */
  readonly name: string;
  /** Byte offset from the start of the outermost struct. */
  readonly offset: number;
  /** Size in bytes (arrays: element size × count). */
  readonly size: number;
  /** `u32`, `u64`, `guid`, `u8[16]`, `guest_phys_info[64]`, ... */
  readonly type: string;
  /** What the field means, from the kernel header and the reference. */
  readonly doc: string;
}

/** A packed struct: kernel name, total size and its flattened leaf fields in offset order. */
export interface StructDescriptor {
  readonly name: string;
  readonly sizeBytes: number;
  readonly members: readonly Member[];
  readonly fields: readonly FieldDescriptor[];
  /** The field with this dotted name; asserts that it exists (a wrong name is our bug). */
  field(name: string): FieldDescriptor;
}

/** A scalar member. */
export function scalar(name: string, type: ScalarType, doc: string): Member {
  return { kind: 'scalar', name, type, doc };
}

/** An array member, listed as one field (`gpi_list`, `cmnd`, `filler`). */
export function array(
  name: string,
  element: ScalarType | StructDescriptor,
  count: number,
  doc: string,
): Member {
  assert(Number.isInteger(count) && count > 0, `array ${name}: count must be positive`);
  return { kind: 'array', name, element, count, doc };
}

/** A nested struct member, flattened into dotted fields. */
export function nested(name: string, struct: StructDescriptor, doc: string): Member {
  return { kind: 'struct', name, struct, doc };
}

/** An anonymous `struct { ... } name;` member: laid out in sequence, fields dotted `name.x`. */
export function group(name: string, members: readonly Member[]): Member {
  return { kind: 'group', name, members };
}

/** A union; `name` null for the kernel's anonymous unions (their members keep their own names). */
export function union(name: string | null, members: readonly Member[]): Member {
  return { kind: 'union', name, members };
}

function memberSize(member: Member): number {
  switch (member.kind) {
    case 'scalar':
      return SCALAR_BYTES[member.type];
    case 'array':
      return elementSize(member.element) * member.count;
    case 'struct':
      return member.struct.sizeBytes;
    case 'group':
      return member.members.reduce((sum, m) => sum + memberSize(m), 0);
    case 'union':
      return Math.max(...member.members.map(memberSize));
  }
}

function elementSize(element: ScalarType | StructDescriptor): number {
  return typeof element === 'string' ? SCALAR_BYTES[element] : element.sizeBytes;
}

function elementName(element: ScalarType | StructDescriptor): string {
  return typeof element === 'string' ? element : element.name;
}

function flatten(members: readonly Member[], base: number, prefix: string): FieldDescriptor[] {
  const out: FieldDescriptor[] = [];
  let offset = base;
  for (const member of members) {
    out.push(...flattenMember(member, offset, prefix));
    offset += memberSize(member);
  }
  return out;
}

function flattenMember(member: Member, offset: number, prefix: string): FieldDescriptor[] {
  switch (member.kind) {
    case 'scalar':
      return [
        {
          name: prefix + member.name,
          offset,
          size: memberSize(member),
          type: member.type,
          doc: member.doc,
        },
      ];
    case 'array': {
      const type = `${elementName(member.element)}[${member.count}]`;
      return [
        { name: prefix + member.name, offset, size: memberSize(member), type, doc: member.doc },
      ];
    }
    case 'struct':
      return flatten(member.struct.members, offset, `${prefix}${member.name}.`);
    case 'group':
      return flatten(member.members, offset, `${prefix}${member.name}.`);
    case 'union': {
      const inner = member.name === null ? prefix : `${prefix}${member.name}.`;
      return member.members.flatMap((m) => flattenMember(m, offset, inner));
    }
  }
}

/**
 * Declares a packed struct. `expectedSizeBytes` is the size the reference gives; a mismatch is a
 * bug in the declaration and stops the program at load.
 */
export function defineStruct(
  name: string,
  members: readonly Member[],
  expectedSizeBytes: number,
): StructDescriptor {
  const sizeBytes = members.reduce((sum, m) => sum + memberSize(m), 0);
  assert(
    sizeBytes === expectedSizeBytes,
    `${name}: declared ${sizeBytes} bytes, reference says ${expectedSizeBytes}`,
  );
  const fields = flatten(members, 0, '');
  const byName = new Map(fields.map((f) => [f.name, f]));
  assert(byName.size === fields.length, `${name}: duplicate field names`);
  return {
    name,
    sizeBytes,
    members,
    fields,
    field(fieldName: string): FieldDescriptor {
      const found = byName.get(fieldName);
      assert(found !== undefined, `${name} has no field ${fieldName}`);
      return found;
    },
  };
}

/** Which accessor reads a scalar type: get/set (`int`), get64/set64 (`u64`), getGuid/setGuid. */
type Accessor = 'int' | 'u64' | 'guid';
const ACCESSOR_OF: Readonly<Record<string, Accessor>> = {
  u8: 'int',
  u16: 'int',
  u32: 'int',
  i32: 'int',
  be16: 'int',
  u64: 'u64',
  ptr: 'u64',
  guid: 'guid',
};

/**
 * A typed read/write view of one struct inside a (shared) buffer. Choice: u64 fields are read
 * and written as `bigint` here, exactly and without a safe-integer limit; the signal-queue hot
 * path does not use views (it uses precomputed offsets and 32-bit halves, see signal-queue.ts).
 * The view's range is asserted at construction, so every access stays inside the struct.
 */
export class StructView {
  private readonly data: DataView;

  constructor(
    readonly struct: StructDescriptor,
    readonly bytes: Uint8Array,
  ) {
    assert(
      bytes.length === struct.sizeBytes,
      `${struct.name} view needs ${struct.sizeBytes} bytes, got ${bytes.length}`,
    );
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A view of `struct` at `offset` in `buffer`; asserts that it fits. */
  static at(struct: StructDescriptor, buffer: ArrayBufferLike, offset: number): StructView {
    assert(Number.isInteger(offset) && offset >= 0, `bad offset ${offset}`);
    assert(
      offset + struct.sizeBytes <= buffer.byteLength,
      `${struct.name} at ${offset} overruns the buffer`,
    );
    return new StructView(struct, new Uint8Array(buffer, offset, struct.sizeBytes));
  }

  // The field, asserted to be of an accessor's class (no per-call allocation: codecs call this
  // a few dozen times per simulated SCSI command).
  private typed(name: string, accessor: Accessor): FieldDescriptor {
    const f = this.struct.field(name);
    assert(
      ACCESSOR_OF[f.type] === accessor,
      `${this.struct.name}.${name} is ${f.type}, not a ${accessor} field`,
    );
    return f;
  }

  /** Reads an unsigned 8/16/32-bit field, a signed 32-bit field or a big-endian u16. */
  get(name: string): number {
    const f = this.typed(name, 'int');
    if (f.type === 'u8') return this.data.getUint8(f.offset);
    if (f.type === 'u16') return this.data.getUint16(f.offset, true);
    if (f.type === 'be16') return this.data.getUint16(f.offset, false);
    if (f.type === 'i32') return this.data.getInt32(f.offset, true);
    return this.data.getUint32(f.offset, true);
  }

  /** Writes an 8/16/32-bit field; asserts the value fits the field. */
  set(name: string, value: number): void {
    const f = this.typed(name, 'int');
    assert(Number.isInteger(value), `${name}: ${value} is not an integer`);
    if (f.type === 'i32') {
      assert(value >= -0x80000000 && value <= 0x7fffffff, `${name}: ${value} out of range`);
      this.data.setInt32(f.offset, value, true);
      return;
    }
    assert(value >= 0 && value < 2 ** (f.size * 8), `${name}: ${value} out of range`);
    if (f.type === 'u8') this.data.setUint8(f.offset, value);
    else if (f.type === 'u16') this.data.setUint16(f.offset, value, true);
    else if (f.type === 'be16') this.data.setUint16(f.offset, value, false);
    else this.data.setUint32(f.offset, value, true);
  }

  /** Reads a u64 (or pointer) field as a bigint. */
  get64(name: string): bigint {
    const f = this.typed(name, 'u64');
    return this.data.getBigUint64(f.offset, true);
  }

  /** Writes a u64 (or pointer) field. */
  set64(name: string, value: bigint): void {
    const f = this.typed(name, 'u64');
    assert(value >= 0n && value < 1n << 64n, `${name}: ${value} out of range`);
    this.data.setBigUint64(f.offset, value, true);
  }

  /** Reads a `guid_t` field as a canonical string. */
  getGuid(name: string): string {
    const f = this.typed(name, 'guid');
    return guidFromBytes(this.bytes.subarray(f.offset, f.offset + 16));
  }

  /** Writes a `guid_t` field from a canonical string. */
  setGuid(name: string, guid: string): void {
    const f = this.typed(name, 'guid');
    this.bytes.set(guidToBytes(guid), f.offset);
  }

  /** The bytes of any field (a live subarray: writes go to the buffer). */
  raw(name: string): Uint8Array {
    const f = this.struct.field(name);
    return this.bytes.subarray(f.offset, f.offset + f.size);
  }
}
