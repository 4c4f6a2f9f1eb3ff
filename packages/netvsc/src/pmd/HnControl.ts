import {
  NVSP_INVALID_SECTION,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
} from '../nvsp/NvspConstants.js';
import type { NvspClient } from '../nvsp/NvspClient.js';
import { hnNvsCapabilities } from '../nvsp/NvspHandshake.js';
import { encodeNvsp } from '../nvsp/NvspMessage.js';
import { NDIS_PACKET_TYPE, RNDIS_MSG, RNDIS_OID } from '../rndis/RndisConstants.js';
import { encodeRndis, rndisLength } from '../rndis/RndisMessage.js';
import { VM_PKT, VMBUS_PKT_FLAG } from '../vmbus/VmbusPacket.js';

/**
 * The control messages the netvsc PMD sends after the bring-up, on the primary channel and
 * without waiting for an answer (the completions are read, and counted as `ignored`, with the
 * ring): the RNDIS packet filter (hn_rndis_set_rxfilter) and the MTU (NVSP NDIS config, what
 * hn_dev_mtu_set's re-attach tells the host).
 */
export class HnControl {
  private readonly client: NvspClient;
  private readonly buf = new Uint8Array(NVSP_MESSAGE_SIZE + 64);
  private nextRequest = 1;
  /** The last packet filter sent (-1 before any). */
  filter = -1;

  constructor(client: NvspClient) {
    this.client = client;
  }

  /** Sets the RNDIS packet filter (NDIS_PACKET_TYPE bits); false when the channel is gone. */
  setRxFilter(filter: number): boolean {
    const info = new Uint8Array(4);
    new DataView(info.buffer).setUint32(0, filter >>> 0, true);
    const msg = {
      kind: RNDIS_MSG.SET,
      requestId: this.nextRequest++,
      oid: RNDIS_OID.CURRENT_PACKET_FILTER,
      info,
    } as const;
    encodeNvsp(
      {
        type: NVSP_MSG.SEND_RNDIS_PKT,
        channelType: NVSP_RNDIS_CHANNEL.CONTROL,
        sectionIndex: NVSP_INVALID_SECTION,
        sectionSize: 0,
      },
      this.buf,
      0,
    );
    encodeRndis(msg, this.buf, NVSP_MESSAGE_SIZE);
    // hn_rndis.c hn_nvs_send_rndis_ctrl: a GPA packet with VMBUS_CHANPKT_FLAG_RC, xactid 0.
    const r = this.client.channel.guest.send(
      VM_PKT.DATA_INBAND,
      VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
      0,
      this.buf,
      0,
      NVSP_MESSAGE_SIZE + rndisLength(msg),
    );
    if (r !== 'ok') return false;
    this.filter = filter;
    return true;
  }

  /**
   * Tells the host the new MTU (NVSP SEND_NDIS_CONFIG, frame size = MTU + 14) with the
   * capabilities hn_nvs_conf_ndis always announces (802.1Q, SR-IOV from NVSP 5).
   */
  setMtu(mtu: number): boolean {
    const capabilities = hnNvsCapabilities(this.client.version);
    return (
      this.client.post({ type: NVSP_MSG.SEND_NDIS_CONFIG, mtu: mtu + 14, capabilities }) === 'ok'
    );
  }

  /** hn_dev_promiscuous_enable / _disable: everything, or directed + broadcast (+ all-multicast). */
  promiscuous(on: boolean, allmulti: boolean): boolean {
    if (on) return this.setRxFilter(NDIS_PACKET_TYPE.PROMISCUOUS);
    return this.setRxFilter(
      NDIS_PACKET_TYPE.DIRECTED |
        NDIS_PACKET_TYPE.BROADCAST |
        (allmulti ? NDIS_PACKET_TYPE.ALL_MULTICAST : 0),
    );
  }

  /** hn_dev_allmulticast_enable / _disable. */
  allmulticast(on: boolean): boolean {
    return this.setRxFilter(
      NDIS_PACKET_TYPE.DIRECTED |
        NDIS_PACKET_TYPE.BROADCAST |
        (on ? NDIS_PACKET_TYPE.ALL_MULTICAST : 0),
    );
  }
}
