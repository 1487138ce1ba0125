import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * The shape of every JSON line the service writes: `level` as a label, an ISO `time`, `service`, then the fields
 * and `msg`. The pino-http logger of the service (stdout) and the lines `serve` writes on stderr (startup errors,
 * the shutdown line, internal errors) share it, so one log query reads both.
 */
export const LOG_LINE_FORMAT = {
  base: { service: 'opsagent' },
  timestamp: () => `,"time":"${new Date().toISOString()}"`,
  formatters: { level: (label: string) => ({ level: label }) },
} satisfies LoggerOptions;

/** A logger of such lines through `write`, one call per line (synchronous: nothing is lost on exit). */
export function jsonLineLogger(write: (line: string) => void): Logger {
  return pino(LOG_LINE_FORMAT, { write });
}
