// The channels a guest has mapped (spar-protocol.md §3.3 BUS_CREATE, §3.4 DEVICE_CREATE): the
// kernel maps `channel_addr` from the create message; only this partition's channels can be
// mapped, which is the isolation the hypervisor gives. Keyed by bus and device number.

import type { ChannelRecord } from '../hypervisor/index.js';

/** A guest's mapped bus and device channels. */
export class GuestChannels {
  private readonly buses = new Map<number, ChannelRecord>();
  private readonly devices = new Map<string, ChannelRecord>();

  constructor(private readonly mine: readonly ChannelRecord[]) {}

  /** The partition's channel at guest-physical `channelAddr` (decimal), if it has one. */
  atAddress(channelAddr: string): ChannelRecord | undefined {
    return this.mine.find((c) => String(c.channelAddr) === channelAddr);
  }

  /** Records the channel BUS_CREATE mapped for `busNo`. */
  mapBus(busNo: number, channel: ChannelRecord): void {
    this.buses.set(busNo, channel);
  }

  /** Records the channel DEVICE_CREATE mapped for `busNo:devNo`. */
  mapDevice(busNo: number, devNo: number, channel: ChannelRecord): void {
    this.devices.set(`${busNo}:${devNo}`, channel);
  }

  /** The bus channel of `busNo`, once created. */
  bus(busNo: number): ChannelRecord | undefined {
    return this.buses.get(busNo);
  }

  /** The device channel of `busNo:devNo`, once created. */
  device(busNo: number, devNo: number): ChannelRecord | undefined {
    return this.devices.get(`${busNo}:${devNo}`);
  }
}
