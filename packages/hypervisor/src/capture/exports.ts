export type { FrameCapture } from './FrameCapture.js';
