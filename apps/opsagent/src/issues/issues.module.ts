import { Module } from '@nestjs/common';
import { IssueStore } from './issue-store.service';
import { IssuesController } from './issues.controller';

@Module({
  controllers: [IssuesController],
  providers: [IssueStore],
  exports: [IssueStore],
})
export class IssuesModule {}
