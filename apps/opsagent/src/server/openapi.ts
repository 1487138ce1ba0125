import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { OPEN_PATHS } from '../auth/api-authenticator.service';
import { MAX_REQUEST_BODY_BYTES } from '../common/request-limits';
import { ErrorResponse } from '../issues/dto/issue.response';

/** The name of the bearer scheme in `components.securitySchemes` (`server.auth.mode: kubernetes`). */
export const BEARER_SCHEME = 'kubernetes';
/** Paths load shedding applies to (serve.ts `shedLoad`). */
const SHED_PATHS = /^\/api\//;

type Responses = Record<string, Record<string, unknown>>;
type Operation = { responses?: Responses; security?: Record<string, string[]>[] };

/**
 * The OpenAPI document of the API port, made per `server.auth.mode` (`authEnabled`): the decorators describe each
 * route; what applies to every route is added here, where the config is known, so no route can forget it:
 * - `413` on every operation (every request with a body over 64 KiB, serve.ts `rejectLargeBodies`);
 * - `503` with `Retry-After` on `/api/…` (load shedding);
 * - with auth: the bearer scheme, the `security` of each operation (none on the probes), and `401`, `403`, `503`;
 * - `additionalProperties: false` on every object schema that declares properties and says nothing of others:
 *   the service answers exactly the declared fields, and a client generated from the document may rely on it.
 */
export function buildOpenApiDocument(app: INestApplication, version: string, authEnabled: boolean): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setTitle('OpsAgent')
    .setDescription(
      'Issues found by the OpsAgent Kubernetes resource auditor: missing requests and limits, over- and ' +
        'under-provisioned containers, with their usage, recommendation and waste. Every error has one JSON body ' +
        '(`ErrorResponse`).',
    )
    .setVersion(version)
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    // Relative: the agent is reached through a Service, an Ingress or `kubectl port-forward`, at any origin.
    .addServer('/', 'The agent that serves this document')
    .addTag('health', 'Liveness and readiness probes (never need a token)')
    .addTag('issues', 'The current issues and their summary')
    .addTag('scans', 'The last scan, and starting one');
  if (authEnabled) {
    builder = builder.addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'server.auth.mode: kubernetes. A Kubernetes bearer token: checked with a TokenReview, then a ' +
          'SubjectAccessReview of the request path as a non-resource URL, with the lower-case HTTP method as the verb.',
      },
      BEARER_SCHEME,
    );
  }
  const config = builder.build();
  // Nest assumes a JWT; a Kubernetes token may be any bearer token (a static token file, an OIDC token).
  const scheme = config.components?.securitySchemes?.[BEARER_SCHEME];
  if (scheme && 'bearerFormat' in scheme) delete scheme.bearerFormat;
  const document = SwaggerModule.createDocument(app, config);
  // Nest's DocumentBuilder starts with an empty contact; the document names no contact.
  delete document.info.contact;
  // Explicit: without auth no operation needs credentials (an absent `security` would leave it unsaid).
  document.security = authEnabled ? [{ [BEARER_SCHEME]: [] }] : [];
  const error = { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } };
  const retryAfter = {
    'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item as Record<string, Operation>)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const responses = (operation.responses ??= {});
      responses['413'] ??= {
        description: `The request has a body over ${MAX_REQUEST_BODY_BYTES / 1024} KiB (no endpoint reads one)`,
        content: error,
      };
      const unavailable: string[] = [];
      if (SHED_PATHS.test(path)) unavailable.push('the API is busy (`server.shedAfterBusy`): retry after a second');
      if (authEnabled && !OPEN_PATHS.test(path)) {
        responses['401'] ??= { description: 'No bearer token, or the TokenReview rejects it', content: error };
        responses['403'] ??= {
          description: 'The SubjectAccessReview does not allow this verb on this path',
          content: error,
        };
        unavailable.push(
          'the caller cannot be verified now (the Kubernetes API did not answer, or ' +
            '`server.auth.reviewsPerSecond` is spent: then with Retry-After)',
        );
      }
      if (authEnabled && OPEN_PATHS.test(path)) operation.security = [];
      if (unavailable.length > 0 && !responses['503']) {
        responses['503'] = {
          description: `Unavailable: ${unavailable.join('; or ')}`,
          headers: retryAfter,
          content: error,
        };
      }
    }
  }
  for (const schema of Object.values(document.components?.schemas ?? {})) closeObjects(schema);
  return document;
}

/** `additionalProperties: false` on `schema` and the object schemas inside it that declare properties. */
function closeObjects(schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Record<string, unknown>;
  if (node.properties && typeof node.properties === 'object' && node.additionalProperties === undefined) {
    node.additionalProperties = false;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'examples') continue; // values, not schemas
    if (Array.isArray(value)) value.forEach(closeObjects);
    else closeObjects(value);
  }
}
