export type { FrameCapture } from './FrameCapture.js';
export { PcapWriter } from './PcapWriter.js';
export type { PcapWriterOptions } from './PcapWriter.js';
export { PcapCapture } from './PcapCapture.js';
export type { PcapCaptureOptions } from './PcapCapture.js';
export { readPcap } from './PcapReader.js';
export type { PcapFile, PcapRecord } from './PcapReader.js';
