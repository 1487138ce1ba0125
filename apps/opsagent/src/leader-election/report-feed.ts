/** What a follower is told about OpsAgent's PolicyReports: each report as it is first listed or changes. */
export interface ReportFeedHandlers {
  /** A report was listed, added or changed (the whole object, as the API server sent it). */
  upsert(report: unknown): void;
  /** A report was deleted (its last state). */
  remove(report: unknown): void;
  /** The feed broke after it had started (the watch could not be resumed): start a new one. */
  failed(error: unknown): void;
}

/** Port: OpsAgent's PolicyReports in every namespace, listed and then watched. */
export abstract class ReportFeed {
  /**
   * Lists the reports (each one to `upsert`), then watches them. Resolves once the list is delivered; rejects
   * when it cannot be listed. Returns a function that stops the watch.
   */
  abstract start(handlers: ReportFeedHandlers): Promise<() => void>;
}
