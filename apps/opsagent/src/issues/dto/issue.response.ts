import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONFIDENCES } from '@opsagent/core/issue';
import { SEVERITIES } from '@opsagent/core/severity';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';

export class UsageCoverageResponse {
  @ApiProperty({ format: 'date-time', description: 'Time of the first usage sample behind the figure' })
  from!: string;
  @ApiProperty({ format: 'date-time', description: 'Time of the last usage sample behind the figure' })
  to!: string;
}

/** The figures of an over-provisioning finding (libs/core/src/issue.ts `OverProvisioning`). */
export class OverProvisioningResponse {
  @ApiProperty({ enum: ['cpu', 'memory'] }) resource!: string;
  @ApiProperty({ enum: ['millicores', 'bytes'] }) unit!: string;
  @ApiProperty({ description: 'Usage samples the figure is computed from' }) samples!: number;
  @ApiProperty({ description: '95th percentile (CPU) or maximum (memory) of the measured usage' }) usage!: number;
  @ApiProperty({ description: 'Current request after defaulting from the limit' }) request!: number;
  @ApiProperty() recommended!: number;
  @ApiProperty({ description: 'request − recommended, per Pod' }) wastePerPod!: number;
  @ApiPropertyOptional() replicas?: number;
  @ApiPropertyOptional({ description: 'wastePerPod × replicas' }) wasteTotal?: number;
  @ApiPropertyOptional({ type: UsageCoverageResponse, description: 'When the usage source knows sample times' })
  coverage?: UsageCoverageResponse;
  @ApiPropertyOptional({
    enum: CONFIDENCES,
    description: '`low`: under 1 day between first and last sample; `medium`: under 7 days; `high`: 7 days or more',
  })
  confidence?: string;
}

/** OpenAPI description of the JSON the issue endpoints return. */
export class IssueResponse {
  @ApiProperty({ example: '3f9c2a7d1b6e4c05' }) id!: string;
  @ApiProperty({ example: 'memory-limit-missing' }) rule!: string;
  @ApiProperty({ enum: SEVERITIES }) severity!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty({ enum: WORKLOAD_KINDS }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty() container!: string;
  @ApiProperty() message!: string;
  @ApiProperty() remediation!: string;
  @ApiPropertyOptional({
    type: OverProvisioningResponse,
    description: 'Usage, request, recommendation and waste (millicores or bytes), and how much to trust them',
  })
  overProvisioning?: OverProvisioningResponse;
  @ApiProperty({ format: 'date-time' }) firstSeen!: string;
  @ApiProperty({ format: 'date-time' }) lastSeen!: string;
}

export class IssueListResponse {
  @ApiProperty({ type: [IssueResponse] }) items!: IssueResponse[];
  @ApiProperty({ description: 'Issues matching the filter, over all pages' }) total!: number;
  @ApiPropertyOptional({ description: 'Pass as `continue` for the next page; absent on the last page' })
  continue?: string;
}

export class ErrorResponse {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'limit: must be an integer from 1 to 1000' }) message!: string;
  @ApiPropertyOptional({ example: [{ parameter: 'limit', reason: 'must be an integer from 1 to 1000' }] })
  details?: { parameter: string; reason: string }[];
}
