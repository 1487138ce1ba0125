import { Controller, Get, Header, NotFoundException, Param, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponse, IssueListResponse, IssueResponse, SummaryResponse } from './dto/issue.response';
import { IssueIdParam, ListIssuesQuery } from './dto/list-issues.query';
import type { Request } from 'express';
import { IssueStore } from './issue-store.service';
import type { StoredIssue } from './issue-store.types';

@ApiTags('issues')
@ApiBadRequestResponse({ type: ErrorResponse })
@Controller('api/v1')
export class IssuesController {
  constructor(private readonly store: IssueStore) {}

  @Get('issues')
  @ApiOkResponse({ type: IssueListResponse })
  @Header('Content-Type', 'application/json; charset=utf-8')
  list(@Query() query: ListIssuesQuery, @Req() request: Request): string {
    // Express takes `/api/v1/issues/` for this route (trailing slashes are optional): it is an empty id, not the list.
    if (request.path.endsWith('/')) throw notFound('');
    const { limit, continue: token, ...filter } = query;
    return this.store.pageJson(this.store.query(filter, limit, token));
  }

  @Get('issues/:id')
  @ApiOkResponse({ type: IssueResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  get(@Param() { id }: IssueIdParam): StoredIssue {
    const issue = this.store.get(id);
    if (!issue) throw notFound(id);
    return issue;
  }

  @Get('summary')
  @ApiOkResponse({ type: SummaryResponse })
  summary() {
    return { total: this.store.size, ...this.store.summary(), lastScan: this.store.latestScan ?? null };
  }
}

/** Ids are echoed quoted (control characters escaped) and shortened: the caller's own input, made readable. */
function notFound(id: string): NotFoundException {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new NotFoundException(`no current issue with id ${JSON.stringify(shown)}`);
}
