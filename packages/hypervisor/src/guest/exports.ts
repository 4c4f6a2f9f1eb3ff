export type { BurstSink, NicModel, NicModelContext } from './NicModel.js';
export { createNicModel } from './createNicModel.js';
export { VirtioNicModel } from './VirtioNicModel.js';
export { ALL_HOSTS_GROUP, joinDpdkGroups, joinKernelGroups } from './GuestGroups.js';
