import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The last finished scan, as the probes report it. */
export class HealthScanResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'partial', 'failed'] }) status!: string;
  @ApiPropertyOptional({ format: 'date-time' }) finishedAt?: string;
}

/** One indicator of the terminus health report (`scanner`, `firstScan`, `reports`). */
export class HealthIndicatorResponse {
  @ApiProperty({ enum: ['up', 'down'] }) status!: string;
  @ApiPropertyOptional({ description: 'Why it is down' }) message?: string;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'The id of the scan running now' })
  running?: string | null;
  @ApiPropertyOptional({ type: HealthScanResponse, nullable: true }) lastScan?: HealthScanResponse | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Seconds since the last scan ended' })
  lastScanAgeSeconds?: number | null;
  @ApiPropertyOptional({ enum: ['leader', 'follower'], description: 'With leader election' }) role?: string;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'With leader election: the holder of the Lease' })
  leader?: string | null;
}

const INDICATORS = {
  type: 'object',
  additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' },
} as const;

/** The terminus health report: the same shape on 200 and 503. */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiPropertyOptional({ ...INDICATORS, description: 'Indicators that are up' })
  info?: Record<string, HealthIndicatorResponse>;
  @ApiPropertyOptional({ ...INDICATORS, description: 'Indicators that are down' })
  error?: Record<string, HealthIndicatorResponse>;
  @ApiProperty({ ...INDICATORS, description: 'Every indicator' }) details!: Record<string, HealthIndicatorResponse>;
}
