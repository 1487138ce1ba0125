/**
 * A child process that measures the usage history (bench/history.ts) once and exits: started with
 * --expose-gc, it holds nothing but the history and its inputs.
 */
import { measureHistory, type HistoryRequest, type HistorySummary } from './history';

export type FromHistoryWorker = { type: 'result'; summary: HistorySummary } | { type: 'error'; message: string };

process.once('message', (request: HistoryRequest) => {
  let message: FromHistoryWorker;
  try {
    message = { type: 'result', summary: measureHistory(request) };
  } catch (error) {
    message = { type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  process.send?.(message, () => process.exit(0));
});
