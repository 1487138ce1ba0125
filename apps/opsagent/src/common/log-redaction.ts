/**
 * Which request and response headers never reach a log line. Header names are case-insensitive (RFC 9110);
 * Node lowercases incoming ones, but a name is lowercased here again so the match never depends on that.
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-goog-iap-jwt-assertion',
  'x-forwarded-access-token',
  'x-forwarded-authorization',
]);

/** Names that carry a credential by their wording (`x-vault-token`, `x-my-secret`, `x-session-id`, …). */
const CREDENTIAL_NAME = /auth|token|secret|passw|api[-_]?key|session|cookie|credential|signature|jwt/i;

export const REDACTED = '[redacted]';

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_NAME.test(name);
}

/** A copy of `headers` with the value of every credential-bearing header replaced by `[redacted]`. */
export function redactHeaders(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return headers;
  return Object.fromEntries(
    Object.entries(headers as Record<string, unknown>).map(([name, value]) => [
      name,
      isCredentialHeader(name) ? REDACTED : value,
    ]),
  );
}

/**
 * pino-http serializers (they receive pino's standard `req`/`res` objects): the headers of any request
 * or response a log line carries, with credentials redacted.
 */
export const redactingSerializers = {
  req: (req: { headers?: unknown }) => ({ ...req, headers: redactHeaders(req.headers) }),
  res: (res: { headers?: unknown }) => ({ ...res, headers: redactHeaders(res.headers) }),
};
