export {
  DEFAULT_LINKS,
  DEFAULT_NIC_OPTIONS,
  NIC_MODELS,
  type FlowEndpoint,
  type LinkSpec,
  type NicModelName,
  type NicOptions,
  type Scenario,
  type ScenarioExpect,
  type ScenarioFlow,
  type ScenarioHost,
  type ScenarioLinks,
  type ScenarioNetwork,
  type ScenarioNic,
  type ScenarioPeer,
  type ScenarioStep,
  type ScenarioVm,
  type StepAction,
} from './Scenario.js';
export {
  SCENARIO_JSON_SCHEMA,
  scenarioJsonSchema,
  type JsonSchemaObject,
} from './ScenarioJsonSchema.js';
export { ScenarioError, formatScenarioIssue, type ScenarioIssue } from './ScenarioError.js';
export {
  loadScenarioFile,
  loadScenarioText,
  validateScenarioText,
  type ScenarioFormat,
} from './ScenarioLoader.js';
export { withModel } from './WithModel.js';
