export * from './scenario/exports.js';
export * from './traffic/exports.js';
export * from './capture/exports.js';
export * from './report/exports.js';
export * from './run/exports.js';
