export type {
  ConservationResult,
  DatapathInUse,
  ExpectResult,
  FlowReport,
  MigrationReport,
  MigrationState,
  MigrationStateRecord,
  NicReport,
  Report,
  ReportEvent,
  Timeline,
} from './Report.js';
