// Data-in pages the simulated disk target returns: standard INQUIRY data and VPD pages (SPC-4
// §6.6, §7.8), READ CAPACITY(10)/(16) parameter data (SBC-3 §5.15, §5.16), REPORT LUNS
// parameter data (SPC-4 §6.33), mode parameter headers, block descriptors and the caching and
// control mode pages (SPC-4 §7.5, SBC-3 §6.4). Every builder returns the full page; the target
// cuts it to the allocation length. All multi-byte fields are big-endian, as SCSI is.

import { assert } from '../../base/assert.js';
import type { DiskSpec } from './disk.js';
import { ASC, type AdditionalSense } from './scsi-constants.js';

/** T10 vendor identification, 8 bytes space-padded (standard INQUIRY bytes 8..15). */
export const INQUIRY_VENDOR = 'UNISYS  ';
/** Product identification, 16 bytes space-padded (bytes 16..31). */
export const INQUIRY_PRODUCT = 'spar-sim disk   ';
/** Product revision level, 4 bytes (bytes 32..35). */
export const INQUIRY_REVISION = '0001';
/** VERSION 0x05: the target claims SPC-3. */
export const INQUIRY_VERSION_SPC3 = 0x05;
/** VPD pages served, in ascending order as page 0x00 lists them. */
export const SUPPORTED_VPD_PAGES: readonly number[] = [0x00, 0x80, 0x83];
/** Longest serial number taken from the disk name. */
export const SERIAL_MAX_CHARS = 32;

const ascii = (text: string): number[] => Array.from(text, (ch) => ch.charCodeAt(0));

/** Standard INQUIRY data, 36 bytes: direct-access device, connected, CMDQUE. */
export function standardInquiry(): Uint8Array {
  const data = new Uint8Array(36);
  data[0] = 0x00; // peripheral qualifier 0 (connected), device type 0 (direct access block)
  data[2] = INQUIRY_VERSION_SPC3;
  data[3] = 0x02; // response data format 2
  data[4] = data.length - 5; // additional length
  data[7] = 0x02; // CMDQUE: the guest keeps up to 128 commands outstanding (§4.2)
  data.set(ascii(INQUIRY_VENDOR), 8);
  data.set(ascii(INQUIRY_PRODUCT), 16);
  data.set(ascii(INQUIRY_REVISION), 32);
  return data;
}

/** The disk name as a printable-ASCII serial number (names come from scenario files). */
export function serialNumber(spec: DiskSpec): string {
  const printable = Array.from(spec.name, (ch) => (/^[\x20-\x7e]$/.test(ch) ? ch : '_'));
  return printable.slice(0, SERIAL_MAX_CHARS).join('');
}

function vpdPage(page: number, body: readonly number[]): Uint8Array {
  const data = new Uint8Array(4 + body.length);
  data[1] = page; // byte 0: qualifier 0, type 0
  new DataView(data.buffer).setUint16(2, body.length);
  data.set(body, 4);
  return data;
}

/** VPD page 0x00 (supported pages), 0x80 (unit serial number), 0x83 (device id), or null. */
export function vpd(page: number, spec: DiskSpec): Uint8Array | null {
  switch (page) {
    case 0x00:
      return vpdPage(0x00, SUPPORTED_VPD_PAGES);
    case 0x80:
      return vpdPage(0x80, ascii(serialNumber(spec)));
    case 0x83: {
      // One designator: code set 2 (ASCII), association 0 (the LU), type 1 (T10 vendor ID based).
      const id = ascii(INQUIRY_VENDOR + serialNumber(spec));
      return vpdPage(0x83, [0x02, 0x01, 0x00, id.length, ...id]);
    }
    default:
      return null;
  }
}

/** READ CAPACITY(10) data: last LBA (0xFFFFFFFF when it does not fit) and block length. */
export function readCapacity10(spec: DiskSpec): Uint8Array {
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  view.setUint32(0, Math.min(spec.blocks - 1, 0xffff_ffff));
  view.setUint32(4, spec.blockSize);
  return data;
}

/** READ CAPACITY(16) data, 32 bytes: last LBA, block length, no protection, 1:1 physical blocks. */
export function readCapacity16(spec: DiskSpec): Uint8Array {
  const data = new Uint8Array(32);
  const view = new DataView(data.buffer);
  view.setBigUint64(0, BigInt(spec.blocks - 1));
  view.setUint32(8, spec.blockSize);
  return data;
}

/**
 * REPORT LUNS data: list length, then one 8-byte LUN each — peripheral device addressing for
 * LUNs below 256, flat space addressing (0x40) up to 16383 (SAM-5 §4.7).
 */
export function reportLuns(luns: readonly number[]): Uint8Array {
  const data = new Uint8Array(8 + 8 * luns.length);
  new DataView(data.buffer).setUint32(0, 8 * luns.length);
  luns.forEach((lun, i) => {
    assert(Number.isInteger(lun) && lun >= 0 && lun < 0x4000, `LUN ${lun} is not addressable`);
    data[8 + 8 * i] = lun < 0x100 ? 0x00 : 0x40 | (lun >> 8);
    data[9 + 8 * i] = lun & 0xff;
  });
  return data;
}

/** REQUEST SENSE data: fixed format, NO SENSE (autosense already delivered any error). */
export function noSenseData(): Uint8Array {
  const data = new Uint8Array(18);
  data[0] = 0x70;
  data[7] = 10;
  return data;
}

/** What a MODE SENSE CDB asks for. */
export interface ModeSenseRequest {
  /** Page control: 0 current, 1 changeable, 2 default, 3 saved. */
  readonly pageControl: number;
  readonly pageCode: number;
  readonly subpageCode: number;
  /** DBD: leave out the block descriptor. */
  readonly disableBlockDescriptors: boolean;
  /** MODE SENSE(10) header (8 bytes) instead of MODE SENSE(6) (4 bytes). */
  readonly tenByte: boolean;
}

/** Caching page (SBC-3 §6.4.5): WCE 0 (no write cache: writes are durable on return), RCD 1. */
function cachingPage(changeable: boolean): number[] {
  const page = new Array<number>(20).fill(0);
  page[0] = 0x08;
  page[1] = 0x12;
  if (!changeable) page[2] = 0x01; // RCD: reads are not cached either
  return page;
}

/** Control page (SPC-4 §7.5.8): fixed sense (D_SENSE 0), unrestricted reordering allowed. */
function controlPage(changeable: boolean): number[] {
  const page = new Array<number>(12).fill(0);
  page[0] = 0x0a;
  page[1] = 0x0a;
  if (!changeable) page[3] = 0x10; // QUEUE ALGORITHM MODIFIER 1: the IOSP may reorder (§4.4.4)
  return page;
}

function modePages(request: ModeSenseRequest): number[] | AdditionalSense {
  if (request.pageControl === 3) return ASC.SAVING_PARAMETERS_NOT_SUPPORTED;
  // No subpages exist; 0xFF ("all subpages") therefore selects the same as 0x00.
  if (request.subpageCode !== 0x00 && request.subpageCode !== 0xff) return ASC.INVALID_FIELD_IN_CDB;
  const changeable = request.pageControl === 1;
  switch (request.pageCode) {
    case 0x08:
      return cachingPage(changeable);
    case 0x0a:
      return controlPage(changeable);
    case 0x3f:
      return [...cachingPage(changeable), ...controlPage(changeable)];
    default:
      return ASC.INVALID_FIELD_IN_CDB;
  }
}

/** Short LBA block descriptor (SBC-3 §6.4.2): block count (saturated), block length. */
function blockDescriptor(spec: DiskSpec): number[] {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.min(spec.blocks, 0xffff_ffff));
  view.setUint32(4, spec.blockSize); // byte 4 is reserved and stays 0: block length < 2^24
  return Array.from(bytes);
}

/**
 * MODE SENSE(6)/(10) parameter data, or the additional sense code of an ILLEGAL REQUEST:
 * unsupported page or subpage → INVALID FIELD IN CDB, saved values → SAVING PARAMETERS NOT
 * SUPPORTED. The device-specific parameter has WP 0 and DPOFUA 1 (FUA is honoured trivially).
 */
export function modeSense(spec: DiskSpec, request: ModeSenseRequest): Uint8Array | AdditionalSense {
  const pages = modePages(request);
  if (!Array.isArray(pages)) return pages;
  const descriptor = request.disableBlockDescriptors ? [] : blockDescriptor(spec);
  const headerBytes = request.tenByte ? 8 : 4;
  const data = new Uint8Array(headerBytes + descriptor.length + pages.length);
  const view = new DataView(data.buffer);
  const deviceSpecific = 0x10;
  if (request.tenByte) {
    view.setUint16(0, data.length - 2); // mode data length excludes itself
    data[3] = deviceSpecific;
    view.setUint16(6, descriptor.length);
  } else {
    assert(data.length - 1 <= 0xff, 'MODE SENSE(6) data fits its one-byte length');
    data[0] = data.length - 1;
    data[2] = deviceSpecific;
    data[3] = descriptor.length;
  }
  data.set(descriptor, headerBytes);
  data.set(pages, headerBytes + descriptor.length);
  return data;
}
