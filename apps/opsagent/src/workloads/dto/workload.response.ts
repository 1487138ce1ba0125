import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';
import { IssueResponse, OverProvisioningResponse } from '../../issues/dto/issue.response';

/** OpenAPI description of GET /api/v1/workloads/{namespace}/{kind}/{name} (libs/core/src/audit/workload-view.ts). */
export class ResourceValuesResponse {
  @ApiPropertyOptional({ description: 'Millicores' }) cpu?: number;
  @ApiPropertyOptional({ description: 'Bytes' }) memory?: number;
}

export class ContainerUsageResponse {
  @ApiProperty({ description: 'Usage samples held for the container' }) samples!: number;
  @ApiProperty({ description: '95th percentile of CPU over the window, millicores' }) cpuP95!: number;
  @ApiProperty({ description: 'Peak memory over the window, bytes' }) memoryMax!: number;
  @ApiPropertyOptional({ format: 'date-time', description: 'Time of the first sample' }) from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Time of the last sample' }) to?: string;
}

export class HistorySlotResponse {
  @ApiProperty({ format: 'date-time', description: 'Start of the slot (the window ÷ 14)' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'End of the slot (exclusive)' }) to!: string;
  @ApiProperty() samples!: number;
  @ApiProperty({ description: 'Median CPU in the slot, millicores' }) cpuP50!: number;
  @ApiProperty({ description: '95th percentile of CPU in the slot, millicores' }) cpuP95!: number;
  @ApiProperty({ description: 'Highest CPU in the slot, millicores' }) cpuMax!: number;
  @ApiProperty({ description: 'Peak memory in the slot, bytes' }) memoryMax!: number;
}

export class LimitRangeValueResponse {
  @ApiProperty({ description: 'Name of the LimitRange' }) limitRange!: string;
  @ApiProperty({ enum: ['defaultRequest', 'default', 'max'] }) field!: string;
  @ApiProperty({ description: 'Millicores (cpu) or bytes (memory)' }) value!: number;
}

export class LimitRangeValuesResponse {
  @ApiPropertyOptional({ type: LimitRangeValueResponse }) cpu?: LimitRangeValueResponse;
  @ApiPropertyOptional({ type: LimitRangeValueResponse }) memory?: LimitRangeValueResponse;
}

export class HpaTargetResponse {
  @ApiProperty({ description: 'Name of the HorizontalPodAutoscaler' }) hpa!: string;
  @ApiProperty({ enum: ['Resource', 'ContainerResource'] }) type!: string;
  @ApiProperty({ enum: ['cpu', 'memory'] }) resource!: string;
  @ApiPropertyOptional({ description: 'ContainerResource metrics: the container' }) container?: string;
  @ApiProperty({ enum: ['Utilization', 'AverageValue'] }) target!: string;
  @ApiPropertyOptional({ description: 'Percent of the request' }) averageUtilization?: number;
  @ApiPropertyOptional({ description: 'Millicores or bytes per Pod' }) averageValue?: number;
}

export class HpaTargetsResponse {
  @ApiPropertyOptional({ type: HpaTargetResponse }) cpu?: HpaTargetResponse;
  @ApiPropertyOptional({ type: HpaTargetResponse }) memory?: HpaTargetResponse;
}

export class ContainerContextResponse {
  @ApiProperty({ type: LimitRangeValuesResponse, description: 'Requests a LimitRange sets at admission' })
  requestDefault!: LimitRangeValuesResponse;
  @ApiProperty({ type: LimitRangeValuesResponse, description: 'Limits a LimitRange sets at admission' })
  limitDefault!: LimitRangeValuesResponse;
  @ApiProperty({ type: LimitRangeValuesResponse, description: "The lowest `max` of the namespace's LimitRanges" })
  max!: LimitRangeValuesResponse;
  @ApiProperty({ type: HpaTargetsResponse, description: 'The HPA metric on each resource of this container' })
  hpa!: HpaTargetsResponse;
}

export class OomKillResponse {
  @ApiProperty() pod!: string;
  @ApiProperty({ format: 'date-time', description: '`terminated.finishedAt`' }) at!: string;
  @ApiProperty() restartCount!: number;
  @ApiPropertyOptional() exitCode?: number;
}

export class RecommendationResponse extends OverProvisioningResponse {
  @ApiProperty({ description: 'The rule whose finding recommends it', example: 'memory-overprovisioned' })
  rule!: string;
}

export class RecommendationsResponse {
  @ApiPropertyOptional({ type: RecommendationResponse }) cpu?: RecommendationResponse;
  @ApiPropertyOptional({ type: RecommendationResponse }) memory?: RecommendationResponse;
}

export class ContainerViewResponse {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['container', 'init', 'sidecar'] }) role!: string;
  @ApiProperty({ type: ResourceValuesResponse }) requests!: ResourceValuesResponse;
  @ApiProperty({ type: ResourceValuesResponse }) limits!: ResourceValuesResponse;
  @ApiPropertyOptional({ type: ContainerUsageResponse, description: 'Absent when no usage sample is held' })
  usage?: ContainerUsageResponse;
  @ApiProperty({
    type: [HistorySlotResponse],
    description: 'The usage history over the window, oldest first (empty with `usage.source: prometheus`)',
  })
  history!: HistorySlotResponse[];
  @ApiProperty({ type: ContainerContextResponse }) context!: ContainerContextResponse;
  @ApiPropertyOptional({ type: OomKillResponse, description: 'The latest OOM kill within the window' })
  oomKill?: OomKillResponse;
  @ApiProperty({ type: RecommendationsResponse, description: 'Per resource, the recommended value and its figures' })
  recommendation!: RecommendationsResponse;
  @ApiProperty({ type: [IssueResponse] }) issues!: IssueResponse[];
}

export class HpaMetricResponse {
  @ApiProperty({ enum: ['Resource', 'ContainerResource'] }) type!: string;
  @ApiProperty({ enum: ['cpu', 'memory'] }) resource!: string;
  @ApiPropertyOptional() container?: string;
  @ApiProperty({ enum: ['Utilization', 'AverageValue'] }) target!: string;
  @ApiPropertyOptional() averageUtilization?: number;
  @ApiPropertyOptional() averageValue?: number;
}

export class ScaleTargetRefResponse {
  @ApiProperty() kind!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() apiVersion?: string;
}

export class HpaResponse {
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: ScaleTargetRefResponse }) scaleTargetRef!: ScaleTargetRefResponse;
  @ApiProperty({ type: [HpaMetricResponse] }) metrics!: HpaMetricResponse[];
}

export class WorkloadResponse {
  @ApiProperty({ enum: WORKLOAD_KINDS }) kind!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ description: 'Desired Pods, where the kind has a count' }) replicas?: number;
  @ApiPropertyOptional({ type: HpaResponse, description: 'The HorizontalPodAutoscaler that scales it' })
  hpa?: HpaResponse;
  @ApiProperty({ type: [ContainerViewResponse] }) containers!: ContainerViewResponse[];
  @ApiProperty({ type: [IssueResponse], description: 'Issues that name no container of the spec' })
  otherIssues!: IssueResponse[];
}
