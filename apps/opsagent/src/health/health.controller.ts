import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { IssueStore } from '../issues/issue-store.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: IssueStore,
  ) {}

  /**
   * Liveness: 200 while the process serves requests. It reports the last scan but never fails because of
   * it — an unreachable API server must not make the kubelet restart the agent in a loop.
   */
  @Get()
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('scanner').up(this.scanState())]);
  }

  /** Readiness: 503 until the first scan has been attempted (config is loaded before the server starts). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicators.check('firstScan');
        return this.store.latestScan
          ? session.up(this.scanState())
          : session.down({ message: 'no scan attempted yet' });
      },
    ]);
  }

  private scanState() {
    const scan = this.store.latestScan;
    return {
      running: this.store.runningScan?.id ?? null,
      lastScan: scan ? { id: scan.id, status: scan.status, finishedAt: scan.finishedAt } : null,
      lastScanAgeSeconds: scan?.finishedAt ? Math.round((Date.now() - Date.parse(scan.finishedAt)) / 1000) : null,
    };
  }
}
