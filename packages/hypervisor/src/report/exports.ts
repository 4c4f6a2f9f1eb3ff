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
export { formatReportText, KEY_EVENT_LINES, type ReportTextOptions } from './ReportText.js';
export { formatSummaryTable, type SummaryEntry } from './SummaryTable.js';
export {
  compareRows,
  formatCompareTable,
  type CompareEntry,
  type CompareRow,
} from './CompareTable.js';
export {
  DATAPATH_COLORS,
  MIGRATION_COLORS,
  renderTimelineSvg,
  type TimelineSvgOptions,
} from './TimelineSvg.js';
export { HTML_DROP_EVENTS, renderTimelineHtml } from './TimelineHtml.js';
