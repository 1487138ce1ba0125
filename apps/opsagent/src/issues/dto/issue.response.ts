import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONFIDENCES } from '@opsagent/core/issue';
import { SEVERITIES } from '@opsagent/core/severity';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';
import { ScanResponse } from './scan.response';

export class UsageCoverageResponse {
  @ApiProperty({ format: 'date-time', description: 'Time of the first usage sample behind the figure' })
  from!: string;
  @ApiProperty({ format: 'date-time', description: 'Time of the last usage sample behind the figure' })
  to!: string;
}

/** The HPA that scales the workload on the finding's resource (libs/core/src/issue.ts `OverProvisioning.hpa`). */
export class HpaContextResponse {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['Resource', 'ContainerResource'] }) metric!: string;
  @ApiProperty({ enum: ['Utilization', 'AverageValue'] }) target!: string;
  @ApiPropertyOptional({ description: 'Percent of the request' }) averageUtilization?: number;
  @ApiPropertyOptional({ description: 'Millicores or bytes per Pod' }) averageValue?: number;
}

export class CappedByResponse {
  @ApiProperty({ description: 'The LimitRange, `namespace/name`' }) limitRange!: string;
  @ApiProperty({ description: 'Its `max`, in millicores or bytes' }) max!: number;
}

/** Where the object was read from (`opsagent scan` of files; the service reads none). */
export class SourceLocationResponse {
  @ApiProperty() file!: string;
  @ApiPropertyOptional({ type: 'integer', description: '1-based line of the object' }) line?: number;
  @ApiPropertyOptional({ type: 'integer', description: '1-based line of the container' }) containerLine?: number;
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
  @ApiPropertyOptional({ description: 'wastePerPod × replicas (a DaemonSet: × observedPods)' }) wasteTotal?: number;
  @ApiPropertyOptional({ description: 'DaemonSets: the Pods the scan read that belong to it' })
  observedPods?: number;
  @ApiPropertyOptional({
    description:
      'What the waste (wasteTotal, else wastePerPod) costs a month: cores or GiB × cost.cpuCoreHourly or ' +
      'cost.memoryGiBHourly × 730 h, rounded to the minor unit of the currency',
    example: 55.38,
  })
  wasteMonthlyCost?: number;
  @ApiPropertyOptional({ description: 'ISO 4217 code of wasteMonthlyCost (cost.currency)', example: 'USD' })
  currency?: string;
  @ApiPropertyOptional({ type: UsageCoverageResponse, description: 'When the usage source knows sample times' })
  coverage?: UsageCoverageResponse;
  @ApiPropertyOptional({
    enum: CONFIDENCES,
    description: '`low`: under 1 day between first and last sample; `medium`: under 7 days; `high`: 7 days or more',
  })
  confidence?: string;
  @ApiPropertyOptional({
    type: HpaContextResponse,
    description: 'The HPA that scales the workload on this resource: the recommendation keeps its replica count',
  })
  hpa?: HpaContextResponse;
  @ApiPropertyOptional({
    description: 'The LimitRange that sets the request at admission, where the container sets none',
  })
  requestDefaultedBy?: string;
  @ApiPropertyOptional({ type: CappedByResponse, description: 'The LimitRange `max` that capped the recommendation' })
  cappedBy?: CappedByResponse;
}

/** A finding's recommendation as a change to apply (libs/core/src/fix/fix.ts `Fix`). */
export class FixResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Strategic merge patch of the workload: only the `resources` keys the recommendation changes, of that one ' +
      'container (merged by `name`), in the Pod template (`spec.template.spec.containers` or `initContainers`; a ' +
      "CronJob's under `spec.jobTemplate.spec.template`)",
    example: {
      spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '88m' } } }] } } },
    },
  })
  patch!: Record<string, unknown>;
  @ApiProperty({
    description: 'The `kubectl patch` command that applies it (POSIX shell quoting)',
    example: `kubectl patch deployment web -n shop --type strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"88m"}}}]}}}}'`,
  })
  command!: string;
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
  @ApiPropertyOptional({
    type: FixResponse,
    description:
      'Where the finding recommends values and the workload can be patched (not bare Pods, Jobs or custom kinds)',
  })
  fix?: FixResponse;
  @ApiPropertyOptional({ type: SourceLocationResponse }) source?: SourceLocationResponse;
  @ApiProperty({ format: 'date-time' }) firstSeen!: string;
  @ApiProperty({ format: 'date-time' }) lastSeen!: string;
}

export class IssueListResponse {
  @ApiProperty({ type: [IssueResponse] }) items!: IssueResponse[];
  @ApiProperty({ description: 'Issues matching the filter, over all pages' }) total!: number;
  @ApiPropertyOptional({ description: 'Pass as `continue` for the next page; absent on the last page' })
  continue?: string;
}

/** Waste of a set of over-provisioning findings. */
export class WasteResponse {
  @ApiProperty({
    description: 'Requested CPU over the recommendations, in cores, summed over the findings',
    example: 3.24,
  })
  cpuCores!: number;
  @ApiProperty({ description: 'Requested memory over the recommendations, in bytes', example: 5054136320 })
  memoryBytes!: number;
  @ApiProperty({ description: 'What both cost a month, in the currency', example: 111.79 })
  monthlyCost!: number;
}

export class WasteSummaryResponse {
  @ApiProperty({ description: 'ISO 4217 code of the money figures (cost.currency)', example: 'USD' })
  currency!: string;
  @ApiProperty({ type: WasteResponse }) total!: WasteResponse;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/WasteResponse' },
    description: 'Per namespace with over-provisioning issues',
  })
  byNamespace!: Record<string, WasteResponse>;
}

const COUNTS = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export class SummaryResponse {
  @ApiProperty({ description: 'Current issues' }) total!: number;
  @ApiProperty({ ...COUNTS, description: 'Issues by severity (every severity, 0 included)' })
  bySeverity!: Record<string, number>;
  @ApiProperty({ ...COUNTS, description: 'Issues by rule id' }) byRule!: Record<string, number>;
  @ApiProperty({ ...COUNTS, description: 'Issues by namespace' }) byNamespace!: Record<string, number>;
  @ApiProperty({
    type: WasteSummaryResponse,
    description: 'The waste of the over-provisioning issues (cores, bytes, money a month), per namespace and in total',
  })
  waste!: WasteSummaryResponse;
  @ApiProperty({
    type: ScanResponse,
    nullable: true,
    description: 'The last scan, as GET /api/v1/scans/latest gives it; null before the first scan ends',
  })
  lastScan!: ScanResponse | null;
}

/** One bad parameter of a 400. */
export class ErrorDetailResponse {
  @ApiProperty({ example: 'limit' }) parameter!: string;
  @ApiProperty({ example: 'must be an integer from 1 to 1000' }) reason!: string;
}

/** The one JSON error body of every failure (common/http-errors.ts `ErrorBody`). */
export class ErrorResponse {
  @ApiProperty({ type: 'integer', example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase of statusCode' }) error!: string;
  @ApiProperty({ example: 'limit: must be an integer from 1 to 1000' }) message!: string;
  @ApiPropertyOptional({ type: [ErrorDetailResponse], description: '400: each bad parameter and why' })
  details?: ErrorDetailResponse[];
}
