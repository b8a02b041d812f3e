import { describe, expect, test } from 'vitest';
import { completionStatusName, segmentStateText } from './value-names.js';

describe('value-names', () => {
  test('smoke: 22 is EINVAL, as §2.6 answers a BUS_CONFIGURE for an unknown bus', () => {
    expect(completionStatusName(22)).toBe('EINVAL');
  });

  test('every CONTROLVM_RESP_* constant and errno is found, negated ones too; unknown is null', () => {
    expect(completionStatusName(0)).toBe('CONTROLVM_RESP_SUCCESS');
    expect(completionStatusName(1400)).toBe('CONTROLVM_RESP_DEVICE_UDEV_TIMEOUT');
    expect(completionStatusName(-17)).toBe('EEXIST');
    expect(completionStatusName(2)).toBe('ENOENT or CONTROLVM_RESP_IOREMAP_FAILED');
    expect(completionStatusName(9999)).toBeNull();
  });

  test('segment states read with their §3.1 name', () => {
    expect(segmentStateText(0x73)).toBe('0x73 (standby)');
    expect(segmentStateText(0x77)).toBe('0x77 (paused)');
    expect(segmentStateText(0xf7)).toBe('0xf7 (running)');
    expect(segmentStateText(0x12)).toBe('0x12');
  });
});
