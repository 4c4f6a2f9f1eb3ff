export type { RunOptions } from './RunOptions.js';
