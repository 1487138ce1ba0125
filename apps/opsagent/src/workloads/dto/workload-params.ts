import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';

/** Namespaces and object names are DNS-1123 names of at most 253 characters (as in ListIssuesQuery). */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const nameRules = { message: 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".", at most 253)' };

export class WorkloadParams {
  @ApiProperty({ description: 'Namespace of the workload', example: 'shop' })
  @IsString(nameRules)
  @MaxLength(253, nameRules)
  @Matches(NAME, nameRules)
  namespace!: string;

  @ApiProperty({ enum: WORKLOAD_KINDS, description: 'Kind of the workload', example: 'Deployment' })
  @IsIn([...WORKLOAD_KINDS], { message: `must be one of ${WORKLOAD_KINDS.join(', ')}` })
  kind!: string;

  @ApiProperty({ description: 'Name of the workload', example: 'checkout' })
  @IsString(nameRules)
  @MaxLength(253, nameRules)
  @Matches(NAME, nameRules)
  name!: string;
}
