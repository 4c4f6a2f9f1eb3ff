export { FLOW_FRAME, FLOW_MAGIC } from './FlowFrame.js';
export type { FlowCast, FlowFrameSpec } from './FlowFrame.js';
export { FlowAddress } from './FlowFrameAddress.js';
export { FlowFrameWriter } from './FlowFrameWriter.js';
export { FlowFrameReader } from './FlowFrameReader.js';
