import { describe, expect, test } from 'vitest';
import { createChannel } from './channel.js';
import {
  CHANNELCLI_ATTACHED,
  CHANNELCLI_BUSY,
  CHANNELCLI_DETACHED,
  CHANNELCLI_DISABLED,
  CHANNELCLI_OWNED,
  clientAcquireOs,
  clientReleaseOs,
  clientState,
  isServerReady,
  LEGAL_CLIENT_TRANSITIONS,
  setClientState,
} from './client-state.js';
import { CH } from './layout.js';
import { ChannelMemory } from './memory.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';

const memory = () => new ChannelMemory(createChannel(VHBA_CHANNEL));

function force(mem: ChannelMemory, field: 'os' | 'boot', value: number): void {
  mem.data.setUint32(field === 'os' ? CH.cliStateOs : CH.cliStateBoot, value, true);
}

describe('client state', () => {
  test('smoke: a new channel is server-ready with a detached OS client', () => {
    const mem = memory();
    expect(isServerReady(mem)).toBe(true);
    expect(clientState(mem, 'os')).toEqual({ ok: true, value: CHANNELCLI_DETACHED });
  });

  test('every change in the §1.3 table is allowed, every other change is refused and leaves the state as it was', () => {
    for (let from = 0; from <= 5; from++) {
      for (let to = 0; to <= 5; to++) {
        const mem = memory();
        force(mem, 'os', from);
        const legal = from === to || (LEGAL_CLIENT_TRANSITIONS[from] ?? []).includes(to);
        const result = setClientState(mem, 'os', to);
        expect(result.ok, `${from} -> ${to}`).toBe(legal);
        if (!result.ok) expect(result.error.code).toBe('illegal-client-state-transition');
        expect(mem.data.getUint32(CH.cliStateOs, true)).toBe(legal ? to : from);
      }
    }
  });

  test('the table is the reference one: OWNED is final and DISABLED can only become OWNED', () => {
    expect(LEGAL_CLIENT_TRANSITIONS[CHANNELCLI_OWNED]).toEqual([]);
    expect(LEGAL_CLIENT_TRANSITIONS[CHANNELCLI_DISABLED]).toEqual([CHANNELCLI_OWNED]);
    expect(LEGAL_CLIENT_TRANSITIONS[CHANNELCLI_BUSY]).toEqual([
      CHANNELCLI_ATTACHED,
      CHANNELCLI_OWNED,
    ]);
  });

  test('a client state outside the enum is a typed error naming the field', () => {
    const mem = memory();
    force(mem, 'os', 9);
    const result = setClientState(mem, 'os', CHANNELCLI_ATTACHED);
    expect(!result.ok && result.error.code).toBe('bad-client-state');
    expect(!result.ok && result.error.field).toBe('cli_state_os');
  });

  test('acquire by an ATTACHED OS client makes it BUSY; release makes it ATTACHED again', () => {
    const mem = memory();
    force(mem, 'os', CHANNELCLI_ATTACHED);
    expect(clientAcquireOs(mem)).toBe('acquired');
    expect(mem.data.getUint32(CH.cliStateOs, true)).toBe(CHANNELCLI_BUSY);
    clientReleaseOs(mem);
    expect(mem.data.getUint32(CH.cliStateOs, true)).toBe(CHANNELCLI_ATTACHED);
  });

  test('acquire fails while the boot client is BUSY, sets throttle bit 0x04 and restores ATTACHED', () => {
    const mem = memory();
    force(mem, 'os', CHANNELCLI_ATTACHED);
    force(mem, 'boot', CHANNELCLI_BUSY);
    expect(clientAcquireOs(mem)).toBe('busy');
    expect(mem.u8[CH.cliErrorOs]).toBe(0x04);
    expect(mem.data.getUint32(CH.cliStateOs, true)).toBe(CHANNELCLI_ATTACHED);
  });

  test('a disabled boot client hands the channel to the OS client for good (OWNED)', () => {
    const mem = memory();
    force(mem, 'os', CHANNELCLI_ATTACHED);
    force(mem, 'boot', CHANNELCLI_DISABLED);
    expect(clientAcquireOs(mem)).toBe('acquired');
    clientReleaseOs(mem);
    expect(mem.data.getUint32(CH.cliStateOs, true)).toBe(CHANNELCLI_OWNED);
  });

  test('a DISABLED or DETACHED OS client cannot acquire, and the throttle bit says why', () => {
    const mem = memory();
    force(mem, 'os', CHANNELCLI_DISABLED);
    expect(clientAcquireOs(mem)).toBe('disabled');
    expect(mem.u8[CH.cliErrorOs]).toBe(0x01);
    force(mem, 'os', CHANNELCLI_DETACHED);
    expect(clientAcquireOs(mem)).toBe('not-attached');
    expect((mem.u8[CH.cliErrorOs] ?? 0) & 0x02).toBe(0x02);
  });
});
