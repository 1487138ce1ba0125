const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not available',
};

/** `serve` could not listen on one of its ports. */
export class ListenError extends Error {
  override name = 'ListenError';
  /** The system error code, e.g. `EADDRINUSE`, when there is one. */
  readonly code?: string;

  constructor(
    /** The config key that sets the port. */
    readonly key: 'server.port' | 'metrics.port',
    readonly port: number,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const reason =
      typeof code === 'string'
        ? `${REASONS[code] ?? 'listen failed'} (${code})`
        : cause instanceof Error
          ? cause.message
          : String(cause);
    super(`${key}: cannot listen on port ${port}: ${reason}`, { cause });
    this.code = typeof code === 'string' ? code : undefined;
  }
}
