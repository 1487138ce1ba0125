import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { WorkloadCatalog } from './workload-catalog.service';
import { WorkloadsController } from './workloads.controller';

/** The workload view of the REST API (and the dashboard): what the last scan knew of one workload. */
@Module({
  imports: [IssuesModule],
  controllers: [WorkloadsController],
  providers: [WorkloadCatalog],
  exports: [WorkloadCatalog],
})
export class WorkloadsModule {}
