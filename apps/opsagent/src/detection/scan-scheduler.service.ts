import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { DetectionService } from './detection.service';

const JOB_NAME = 'opsagent-detection';

/**
 * Builds the detection cron job from `schedule` (a literal `@Cron()` could not read it from config) and
 * runs one scan at start when `runOnStartup` is set.
 */
@Injectable()
export class ScanScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly detection: DetectionService,
    private readonly config: OpsAgentConfig,
    @InjectPinoLogger(ScanScheduler.name) private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.config.schedule,
      onTick: () => {
        this.detection.trigger('schedule');
      },
      start: false,
      timeZone: 'UTC',
    });
    this.registry.addCronJob(JOB_NAME, job);
    job.start();
    this.logger.info(
      { event: 'scheduler-started', schedule: this.config.schedule, next: job.nextDate().toISO() },
      `detection scheduled: ${this.config.schedule}`,
    );
    if (this.config.runOnStartup) this.detection.trigger('startup');
  }

  /** Stops the cron job so no new scan starts (called first at shutdown). */
  stop(): void {
    if (this.registry.doesExist('cron', JOB_NAME)) {
      void this.registry.getCronJob(JOB_NAME).stop();
      this.registry.deleteCronJob(JOB_NAME);
    }
  }
}
