import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { WorkloadView } from '@opsagent/core/audit/workload-view';
import { ErrorResponse } from '../issues/dto/issue.response';
import { WorkloadParams } from './dto/workload-params';
import { WorkloadResponse } from './dto/workload.response';
import { WorkloadCatalog } from './workload-catalog.service';

@ApiTags('workloads')
@Controller('api/v1/workloads')
export class WorkloadsController {
  constructor(private readonly catalog: WorkloadCatalog) {}

  @Get(':namespace/:kind/:name')
  @ApiOperation({
    summary: 'One workload as the last scan saw it',
    description:
      'Per container: requests and limits, the usage history over the window, the LimitRange/HPA/OOM context, ' +
      'the recommendation with its confidence, and the issues (with their fix when they have one).',
  })
  @ApiOkResponse({
    type: WorkloadResponse,
    description: 'Per container: requests, limits, usage history, context, recommendation and issues',
  })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'A parameter is not valid; `details` names it' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'The last scan found no such workload' })
  get(@Param() { namespace, kind, name }: WorkloadParams): WorkloadView {
    const view = this.catalog.view(namespace, kind, name);
    if (!view) throw new NotFoundException(`the last scan found no ${kind} ${namespace}/${name}`);
    return view;
  }
}
