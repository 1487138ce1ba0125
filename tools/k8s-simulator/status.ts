/** `metav1.Status` failure bodies, as the API server writes them. */

/** The `reason` the API server gives for each status code it returns on its own. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const MESSAGES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'forbidden',
  404: 'the server could not find the requested resource',
  405: 'the server does not allow this method on the requested resource',
  409: 'the object has been modified; please apply your changes to the latest version and try again',
  429: 'Too many requests, please try again later.',
  500: 'Internal error occurred: injected fault',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

export function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

export interface StatusOptions {
  reason?: string;
  details?: Record<string, unknown>;
  /** `metadata` of the Status; the 410 Expired answer carries a fresh `continue` here. */
  metadata?: Record<string, unknown>;
}

export function statusBody(code: number, message?: string, opts: StatusOptions = {}): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: opts.metadata ?? {},
    status: 'Failure',
    message: message ?? MESSAGES[code] ?? `injected failure (HTTP ${code})`,
    reason: opts.reason ?? reasonFor(code),
    ...(opts.details ? { details: opts.details } : {}),
    code,
  };
}

/** The 410 message of the API server for a continue token whose resourceVersion was compacted. */
export const EXPIRED_CONTINUE_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list ' +
  'without the continue parameter, or use the continue token in this response to retrieve the remainder of the ' +
  'results. Continuing with the provided token results in an inconsistent list - objects that were created, ' +
  'modified, or deleted between the time the first chunk was returned and now may show up in the list.';
