import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { RULE_IDS } from '@opsagent/core/rules/registry';
import { SEVERITIES, type Severity } from '@opsagent/core/severity';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';

const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(', ')}` });
/** Namespaces and object names are DNS-1123 names of at most 253 characters. */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAME_PART = /^[a-z0-9.-]+$/;
const partRules = {
  message: 'must be a part of a Kubernetes object name (lowercase letters, digits, "-" and ".", at most 253)',
};
const nameRules = { message: 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".", at most 253)' };

export class ListIssuesQuery {
  @ApiPropertyOptional({ description: 'Only issues in this namespace' })
  @IsOptional()
  @IsString(nameRules)
  @MaxLength(253, nameRules)
  @Matches(NAME, nameRules)
  namespace?: string;

  @ApiPropertyOptional({ enum: WORKLOAD_KINDS })
  @IsOptional()
  @IsIn([...WORKLOAD_KINDS], oneOf(WORKLOAD_KINDS))
  kind?: string;

  @ApiPropertyOptional({ description: 'Only issues of the workload with this name' })
  @IsOptional()
  @IsString(nameRules)
  @MaxLength(253, nameRules)
  @Matches(NAME, nameRules)
  name?: string;

  @ApiPropertyOptional({
    description: "Only issues of workloads whose name contains this text (the dashboard's search)",
  })
  @IsOptional()
  @IsString(partRules)
  @MaxLength(253, partRules)
  @Matches(NAME_PART, partRules)
  nameContains?: string;

  @ApiPropertyOptional({ enum: RULE_IDS })
  @IsOptional()
  @IsIn([...RULE_IDS], oneOf(RULE_IDS))
  rule?: string;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'Exactly this severity' })
  @IsOptional()
  @IsIn([...SEVERITIES], oneOf(SEVERITIES))
  severity?: Severity;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'This severity or higher' })
  @IsOptional()
  @IsIn([...SEVERITIES], oneOf(SEVERITIES))
  minSeverity?: Severity;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  // Decimal digits only, as the Kubernetes API reads `limit`: Number() would also take `0x10`, `1e3` or ` 5`.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: 'must be an integer from 1 to 1000' })
  @Min(1, { message: 'must be an integer from 1 to 1000' })
  @Max(1000, { message: 'must be an integer from 1 to 1000' })
  limit: number = 100;

  @ApiPropertyOptional({ description: 'The `continue` value of the previous page' })
  @IsOptional()
  @IsString({ message: 'must be the continue value of a previous page' })
  @MaxLength(2048, { message: 'must be the continue value of a previous page' })
  continue?: string;
}

/**
 * Any string: an id that names no current issue, whatever its form (too long, unicode, `%00`, an encoded slash), is
 * a 404, not a 400 — the caller asked for something that does not exist, and the answer says so.
 */
export class IssueIdParam {
  @ApiProperty({
    description: 'The id of a current issue (`id` in the list): 16 hexadecimal digits',
    example: '3f9c2a7d1b6e4c05',
  })
  @IsString()
  id!: string;
}
