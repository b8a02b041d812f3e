// Test support: any channel type by name, for tests that build channels of several kinds.

import type { ChannelType } from '../../channel/index.js';
import { channelTypeNamed } from '../index.js';

/** The channel type `name` (bus-level or a device kind's); throws for an unknown name. */
export function channelTypeOf(name: string): ChannelType {
  const type = channelTypeNamed(name);
  if (type === undefined) throw new Error(`no channel type ${name}`);
  return type;
}
