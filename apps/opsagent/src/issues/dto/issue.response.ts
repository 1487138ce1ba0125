import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SEVERITIES } from '@opsagent/core/severity';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';

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
  @ApiPropertyOptional({ description: 'Usage, request, recommendation and waste (millicores or bytes)' })
  overProvisioning?: object;
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
