import { describe, expect, test } from 'vitest';
import { channelHeader } from '../channel/layout.js';
import { AssertionError } from './assert.js';
import { array, defineStruct, scalar, StructView } from './struct.js';

describe('struct', () => {
  test('smoke: a view writes little-endian fields at their offsets', () => {
    const buffer = new SharedArrayBuffer(128);
    const view = StructView.at(channelHeader, buffer, 0);
    view.set('version_id', 0x01020304);
    view.set64('size', 0x1122334455667788n);
    expect(Array.from(new Uint8Array(buffer, 72, 4))).toEqual([4, 3, 2, 1]);
    expect(Array.from(new Uint8Array(buffer, 16, 8))).toEqual([
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    ]);
    expect(view.get64('size')).toBe(0x1122334455667788n);
  });

  test('u64 fields keep values above 2^53 exactly', () => {
    const view = StructView.at(channelHeader, new SharedArrayBuffer(128), 0);
    view.set64('partition_handle', 2n ** 64n - 1n);
    expect(view.get64('partition_handle')).toBe(2n ** 64n - 1n);
  });

  test('a declaration whose size disagrees with the reference is refused at load', () => {
    expect(() => defineStruct('bad', [scalar('a', 'u32', ''), array('b', 'u8', 3, '')], 8)).toThrow(
      AssertionError,
    );
  });

  test('reading a field with the wrong accessor or a view that overruns the buffer is a programmer error', () => {
    const view = StructView.at(channelHeader, new SharedArrayBuffer(128), 0);
    expect(() => view.get('size')).toThrow(AssertionError);
    expect(() => view.set('version_id', 2 ** 32)).toThrow(AssertionError);
    expect(() => StructView.at(channelHeader, new SharedArrayBuffer(128), 1)).toThrow(
      AssertionError,
    );
  });
});
