export type { RunOptions, NicModelFactory } from './RunOptions.js';
export { runScenario, DRAIN_NS } from './runScenario.js';
export { evaluateExpectations, metricValue } from './Expectations.js';
