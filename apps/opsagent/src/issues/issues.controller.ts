import { Controller, Get, Header, NotFoundException, Param, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse, IssueListResponse, IssueResponse, SummaryResponse } from './dto/issue.response';
import { IssueIdParam, ListIssuesQuery } from './dto/list-issues.query';
import type { Request } from 'express';
import { IssueStore } from './issue-store.service';
import type { StoredIssue } from './issue-store.types';

@ApiTags('issues')
@Controller('api/v1')
export class IssuesController {
  constructor(private readonly store: IssueStore) {}

  @Get('issues')
  @ApiOperation({
    operationId: 'listIssues',
    summary: 'List the current issues',
    description:
      'Filtered by namespace, kind, workload name, rule and severity; sorted by severity, then ' +
      'namespace/kind/name/container/rule; paged with `limit` and `continue`.',
  })
  @ApiOkResponse({ type: IssueListResponse, description: 'One page of issues' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'A parameter is invalid or unknown: `details` names it' })
  @Header('Content-Type', 'application/json; charset=utf-8')
  list(@Query() query: ListIssuesQuery, @Req() request: Request): string {
    // Express takes `/api/v1/issues/` for this route (trailing slashes are optional): it is an empty id, not the list.
    if (request.path.endsWith('/')) throw notFound('');
    const { limit, continue: token, ...filter } = query;
    return this.store.pageJson(this.store.query(filter, limit, token));
  }

  @Get('issues/:id')
  @ApiOperation({ operationId: 'getIssue', summary: 'Get one current issue by id' })
  @ApiOkResponse({ type: IssueResponse, description: 'The issue' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No current issue has this id, whatever its form' })
  get(@Param() { id }: IssueIdParam): StoredIssue {
    const issue = this.store.get(id);
    if (!issue) throw notFound(id);
    return issue;
  }

  @Get('summary')
  @ApiOperation({
    operationId: 'getSummary',
    summary: 'Count the current issues and their waste',
    description:
      'Counts by severity, rule and namespace, the waste of the over-provisioning issues, and the last scan.',
  })
  @ApiOkResponse({ type: SummaryResponse, description: 'The summary' })
  summary() {
    return { total: this.store.size, ...this.store.summary(), lastScan: this.store.latestScan ?? null };
  }
}

/** Ids are echoed quoted (control characters escaped) and shortened: the caller's own input, made readable. */
function notFound(id: string): NotFoundException {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new NotFoundException(`no current issue with id ${JSON.stringify(shown)}`);
}
