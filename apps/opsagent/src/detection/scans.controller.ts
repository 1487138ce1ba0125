import { ConflictException, Controller, Get, HttpCode, NotFoundException, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../issues/dto/issue.response';
import { IssueStore } from '../issues/issue-store.service';
import type { ScanRecord } from '../issues/issue-store.types';
import { DetectionService } from './detection.service';

@ApiTags('scans')
@Controller('api/v1/scans')
export class ScansController {
  constructor(
    private readonly detection: DetectionService,
    private readonly store: IssueStore,
  ) {}

  @Get('latest')
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No scan has finished yet' })
  latest(): ScanRecord {
    const scan = this.store.latestScan;
    if (!scan) throw new NotFoundException('no scan has finished yet');
    return scan;
  }

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The scan started; `id` is what scans/latest will show when it ends' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'A scan is running' })
  start(): { id: string } {
    const result = this.detection.trigger('api');
    if (!result.accepted) throw new ConflictException(`scan ${result.running.id} is running; try again when it ends`);
    return { id: result.scan.id };
  }
}
