import { ConflictException, Controller, Get, HttpCode, NotFoundException, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { RetryLaterException } from '../common/http-errors';
import { ErrorResponse } from '../issues/dto/issue.response';
import { ScanResponse, ScanStartedResponse } from '../issues/dto/scan.response';
import { IssueStore } from '../issues/issue-store.service';
import type { ScanRecord } from '../issues/issue-store.types';
import { DetectionService } from './detection.service';

@ApiTags('scans')
@Controller('api/v1/scans')
export class ScansController {
  constructor(
    private readonly detection: DetectionService,
    private readonly store: IssueStore,
    private readonly config: OpsAgentConfig,
  ) {}

  @Get('latest')
  @ApiOperation({ operationId: 'getLatestScan', summary: 'Get the last finished scan' })
  @ApiOkResponse({ type: ScanResponse, description: 'The last finished scan: status, errors, warnings and counts' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No scan has finished yet' })
  latest(): ScanRecord {
    const scan = this.store.latestScan;
    if (!scan) throw new NotFoundException('no scan has finished yet');
    return scan;
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({ operationId: 'startScan', summary: 'Start a scan now' })
  @ApiAcceptedResponse({
    type: ScanStartedResponse,
    description: 'The scan started; `id` is what scans/latest will show when it ends',
  })
  @ApiConflictResponse({
    type: ErrorResponse,
    description: 'A scan is running, or (leader election) this replica is not the leader: the message names it',
  })
  @ApiTooManyRequestsResponse({
    type: ErrorResponse,
    description: 'The last scan ended less than `scanMinInterval` (default 30s) ago',
    headers: { 'Retry-After': { description: 'Seconds until a scan may be started', schema: { type: 'integer' } } },
  })
  start(): { id: string } {
    const result = this.detection.trigger('api');
    if (result.accepted) return { id: result.scan.id };
    if ('notLeader' in result) {
      const leader = result.notLeader.leader;
      throw new ConflictException(
        leader
          ? `this replica is not the leader: scans run on the leader, ${leader}; send POST /api/v1/scans there`
          : 'this replica is not the leader and no replica holds the Lease right now; retry in a few seconds',
      );
    }
    if ('running' in result) {
      throw new ConflictException(`scan ${result.running.id} is running; try again when it ends`);
    }
    const { last, retryAfterMs } = result.tooSoon;
    throw new RetryLaterException(
      429,
      `scan ${last.id} ended at ${last.finishedAt}; scans started by POST are at least scanMinInterval ` +
        `(${this.config.scanMinInterval}) apart; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
      retryAfterMs,
    );
  }
}
