import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SEVERITIES } from '@opsagent/core/severity';

/** OpenAPI description of a scan (issues/issue-store.types.ts `ScanRecord`). */
export class ScanErrorResponse {
  @ApiProperty({ description: 'The kind that could not be read (`Deployment`, …), or `scan` for the scan as a whole' })
  kind!: string;
  @ApiPropertyOptional({ description: 'The API resource, e.g. `apps/v1 deployments`' }) resource?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'HTTP status of the failed request' }) code?: number;
  @ApiProperty() reason!: string;
}

/** Something the user should know that is not a finding (libs/core/src/issue.ts `ScanWarning`). */
export class ScanWarningResponse {
  @ApiProperty({ example: 'unknown-rule-id' }) code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional() namespace?: string;
  @ApiPropertyOptional() kind?: string;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional() file?: string;
}

const INTEGER = { type: 'integer', minimum: 0 } as const;

export class ScanCountsResponse {
  @ApiProperty({ ...INTEGER, description: 'Current issues after the scan' }) issues!: number;
  @ApiProperty({ ...INTEGER, description: 'Issues the previous scan did not have' }) new!: number;
  @ApiProperty({ ...INTEGER, description: 'Issues of the previous scan gone now' }) resolved!: number;
  @ApiProperty({ ...INTEGER, description: 'Issues kept from the previous scan because their kind could not be read' })
  carriedOver!: number;
  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(SEVERITIES.map((s) => [s, INTEGER])),
    required: [...SEVERITIES],
    additionalProperties: false,
    description: 'Issues by severity',
  })
  bySeverity!: Record<string, number>;
  @ApiProperty(INTEGER) workloads!: number;
  @ApiProperty(INTEGER) containers!: number;
  @ApiProperty(INTEGER) containersWithoutUsage!: number;
  @ApiProperty(INTEGER) usageSamples!: number;
  @ApiProperty({ ...INTEGER, description: 'Requests sent to the Kubernetes API' }) apiRequests!: number;
  @ApiProperty({ ...INTEGER, description: 'Response bytes read from the Kubernetes API' }) apiBytes!: number;
  @ApiPropertyOptional({ ...INTEGER, description: 'Queries sent to Prometheus (`usage.source: prometheus` only)' })
  prometheusQueries?: number;
}

export class ScanResponse {
  @ApiProperty({ example: '20261202T034134z-1' }) id!: string;
  @ApiProperty({ enum: ['startup', 'schedule', 'api'] }) trigger!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) finishedAt?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 }) durationMs?: number;
  @ApiProperty({ enum: ['running', 'succeeded', 'partial', 'failed'] }) status!: string;
  @ApiProperty({ type: [ScanErrorResponse] }) errors!: ScanErrorResponse[];
  @ApiProperty({ type: [ScanWarningResponse] }) warnings!: ScanWarningResponse[];
  @ApiPropertyOptional({ type: ScanCountsResponse }) counts?: ScanCountsResponse;
}

export class ScanStartedResponse {
  @ApiProperty({ description: 'The id `GET /api/v1/scans/latest` shows when the scan ends' }) id!: string;
}
