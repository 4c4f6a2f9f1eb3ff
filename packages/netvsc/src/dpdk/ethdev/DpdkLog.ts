/**
 * Severity of a DPDK log line (`RTE_LOG_ERR`, `_WARNING`, `_INFO`, `_DEBUG`).
 *
 * @example
 * ```ts
 * const l: DpdkLogLevel = 'warning';
 * ```
 */
export type DpdkLogLevel = 'error' | 'warning' | 'info' | 'debug';

/**
 * Where the DPDK personalities write their log lines (DPDK's `rte_log`); messages carry DPDK's
 * text. Inject one to collect or print them.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const log: DpdkLogger = (level, message) => lines.push(`${level}: ${message}`);
 * ```
 */
export type DpdkLogger = (level: DpdkLogLevel, message: string) => void;

/**
 * A logger that discards everything.
 *
 * @example
 * ```ts
 * const log: DpdkLogger = options.log ?? silentLogger;
 * ```
 */
export const silentLogger: DpdkLogger = () => {};
