// The vnic kind: a virtual NIC an IO service partition serves through its virtual switch and
// physical NICs (spar-protocol.md §4.3, §4.4.3, §4.7). The guest runs Era A virtnic on virtpci and
// an IPv4 layer with its ping flows above it.

import { ipStackMachine } from '../../../machines/ip-stack.machine.js';
import { VIRTNIC_DRIVER } from '../../../machines/virtpci-driver.logic.js';
import { virtnicMachine } from '../../../machines/virtnic.machine.js';
import { VNIC_DMA_BYTES } from './network.js';
import { type DeviceKind, kindMachine } from '../kind.js';
import { VIRTPCI_DRIVER_TRACED } from '../../partition/traced-effects.js';
import { vnicScenario } from './scenario.js';
import { VNIC_CHANNEL } from './channel.js';
import { vnicGuest } from './guest.js';
import { VNIC_EXPECTATIONS } from './expectations.js';
import { NicServer } from './nic-server.js';
import { vnicReport } from './report.js';
import { allocateNicLinks, type NicLinks } from './nic-links.js';

/** The vnic kind: its hardware is the NICs' link words, an IOSP's share its own page. */
export const vnicKind: DeviceKind<NicLinks, SharedArrayBuffer> = {
  name: 'vnic',
  summary: "A virtual NIC served by an IO service partition's switch and uplinks (§4.3, §4.4.3).",
  channels: [{ type: VNIC_CHANNEL, server: 'iosp', dmaWindowBytes: VNIC_DMA_BYTES }],
  driver: { bus: 'virtpci', registration: VIRTNIC_DRIVER },
  machines: [
    kindMachine({
      module: 'virtnic',
      machine: virtnicMachine,
      summary:
        'Era A virtnic with the visornic IO path: receive posts, NET_RCV, NET_XMIT with flow control and the qdisc in front of it, ENBDIS and PROMISC through the OK_TO_WAIT control ring, the TX watchdog; pause takes the link down, resume reposts and the link returns on the ENBDIS ack (spar-protocol.md §4.3, §4.7).',
      traced: {
        ...VIRTPCI_DRIVER_TRACED,
        'channel.removeResponse': true,
        'net.postRcv': true,
        'net.deliver': true,
        'net.rxDropped': true,
        'net.insertXmit': true,
        'net.txQueue': true,
        'net.txDone': true,
        'net.txDropped': true,
        'net.txDiscarded': true,
        'net.buffersFreed': true,
        'net.carrier': true,
        'net.enbdis': true,
        'net.promisc': true,
        'net.controlRetry': true,
      },
    }),
    kindMachine({
      module: 'ip-stack',
      machine: ipStackMachine,
      summary:
        "The guest's IPv4 layer on one vNIC: answers ARP and ICMP echo, resolves neighbours and runs the ping flows with their ledgers, above virtnic's receive filter (spar-protocol.md §4.3, §4.7).",
      traced: {
        'net.transmit': true,
        'ping.flowDone': true,
      },
    }),
  ],
  guest: vnicGuest,
  hardware: {
    allocate: allocateNicLinks,
    share: (links, _config, partition) => links.pages.get(partition),
  },
  server: (ctx) => new NicServer(ctx),
  scenario: vnicScenario,
  report: vnicReport,
  expectations: VNIC_EXPECTATIONS,
  quirks: [
    {
      name: 'xmit-after-teardown',
      module: 'virtnic',
      description:
        'Seeded netfront-style recovery bug: the pause teardown keeps unacknowledged transmits (and accepts new ones) and resume re-sends them all, so a frame the IOSP switched before it died, whose XMIT_DONE was lost, is delivered twice.',
      switches: { virtnic: { xmitAfterTeardown: true } },
    },
  ],
};
