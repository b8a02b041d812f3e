import { describe, expect, test } from 'vitest';
import { formatJiffies, formatMs, formatMsFixed } from './format-time.js';

describe('format-time', () => {
  test('smoke: a worker clock reading prints to the microsecond', () => {
    expect(formatMs(1578.619873046875)).toBe('1578.62 ms');
  });

  test('whole and small times keep only the digits they need', () => {
    expect(formatMs(1501)).toBe('1501 ms');
    expect(formatMs(0.123)).toBe('0.123 ms');
    expect(formatMs(20.069580078125)).toBe('20.07 ms');
    expect(formatMs(100)).toBe('100 ms');
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(-0.0001)).toBe('0 ms');
    expect(formatMs(-12.5)).toBe('-12.5 ms');
  });

  test('the column form keeps three decimals, so timeline times line up', () => {
    expect(formatMsFixed(1578.619873046875)).toBe('1578.620');
    expect(formatMsFixed(0)).toBe('0.000');
    expect(formatMsFixed(-0.0001)).toBe('0.000');
    expect(formatMsFixed(-1479.7874)).toBe('-1479.787');
  });

  test('jiffies read as words', () => {
    expect(formatJiffies(0)).toBe('0 jiffies');
    expect(formatJiffies(1)).toBe('1 jiffy');
    expect(formatJiffies(4)).toBe('4 jiffies');
  });
});
