// What the hypervisor reports to the command partition of a guest's lifecycle
// (recovery-notices.ts): a guest running again in a later boot, and nothing else of a guest.

import { describe, expect, test } from 'vitest';
import { guestNotice, iospNotice, ioGuestConfig } from './index.js';

describe('recovery notices', () => {
  const config = ioGuestConfig();

  test('a guest running in its second boot is reported GUEST_REBOOTED; its first boot and its crash are not', () => {
    expect(guestNotice(config, 'guest1', 'running', 2)).toEqual({
      type: 'GUEST_REBOOTED',
      guest: 'guest1',
    });
    expect(guestNotice(config, 'guest1', 'running', 1)).toBeNull();
    expect(guestNotice(config, 'guest1', 'crashed', 2)).toBeNull();
  });

  test('only guests are reported as rebooted; an IOSP reports up and down as before', () => {
    expect(guestNotice(config, 'iosp0', 'running', 2)).toBeNull();
    expect(iospNotice(config, 'guest1', 'running')).toBeNull();
    expect(iospNotice(config, 'iosp0', 'running')).toEqual({ type: 'IOSP_UP', iosp: 'iosp0' });
  });
});
