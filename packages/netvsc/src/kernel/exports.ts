// The public API of the Linux-behaviour half of @bypass/netvsc: VMBus, NVSP, RNDIS, the NetVSP
// host peer and the NetvscDevice guest driver.
export * from '../vmbus/VmbusPacket.js';
export * from '../vmbus/VmbusRingBuffer.js';
export * from '../vmbus/VmbusEndpoint.js';
export * from '../vmbus/VmbusChannel.js';
export * from '../nvsp/NvspConstants.js';
export * from '../nvsp/NvspMessage.js';
export * from '../rndis/RndisConstants.js';
export * from '../rndis/RndisMessage.js';
export * from '../rndis/RndisConfigParameter.js';
export * from '../rndis/RndisPacket.js';
export * from '../nvsp/NvspHandshake.js';
export * from '../nvsp/NvspClient.js';
export * from '../host/NetvspRndis.js';
export * from '../host/NetvspHost.js';
export * from '../host/RndisPacketFilter.js';
export * from '../kernel/NetvscEthtoolStats.js';
export * from '../kernel/NetvscLinkEvents.js';
export * from '../kernel/NetvscDatapath.js';
export * from '../kernel/NetvscTxQueues.js';
export * from '../kernel/NetvscReattach.js';
export * from '../kernel/NetvscVfWatcher.js';
export * from '../kernel/NetvscVfLookup.js';
export * from '../kernel/NetvscVfManager.js';
export * from '../kernel/NetvscDevice.js';
export * from '../kernel/rndisRxFilter.js';
