import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { IssueStore } from '../issues/issue-store.service';
import { LeaderElectionService } from '../leader-election/leader-election.service';
import { HealthIndicatorResponse, HealthResponse } from './dto/health.response';

@ApiTags('health')
@ApiExtraModels(HealthIndicatorResponse)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: IssueStore,
    private readonly leadership: LeaderElectionService,
  ) {}

  /**
   * Liveness: 200 while the process serves requests. It reports the last scan but never fails because of
   * it — an unreachable API server must not make the kubelet restart the agent in a loop.
   */
  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness probe', description: 'Never needs a token.' })
  @ApiOkResponse({ type: HealthResponse, description: 'The process serves requests; the last scan, whatever it was' })
  live() {
    return this.health.check([() => this.indicators.check('scanner').up(this.scanState())]);
  }

  /**
   * Readiness: 503 until the first scan has been attempted (config is loaded before the server starts); with leader
   * election, until the PolicyReports have been read, on the leader and the followers alike.
   */
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness probe', description: 'Never needs a token.' })
  @ApiOkResponse({ type: HealthResponse, description: 'Ready: the first scan was attempted (or the reports read)' })
  @ApiServiceUnavailableResponse({
    type: HealthResponse,
    description: 'Not ready yet: no scan attempted, or (leader election) the PolicyReports not read yet',
  })
  ready() {
    if (this.leadership.enabled) {
      return this.health.check([
        () => {
          const session = this.indicators.check('reports');
          return this.leadership.ready
            ? session.up(this.scanState())
            : session.down({ message: 'the PolicyReports have not been read yet', ...this.role() });
        },
      ]);
    }
    return this.health.check([
      () => {
        const session = this.indicators.check('firstScan');
        return this.store.latestScan
          ? session.up(this.scanState())
          : session.down({ message: 'no scan attempted yet' });
      },
    ]);
  }

  /** With leader election: whether this replica leads, and which one does. */
  private role(): { role?: 'leader' | 'follower'; leader?: string | null } {
    if (!this.leadership.enabled) return {};
    const leading = this.leadership.isLeader();
    return { role: leading ? 'leader' : 'follower', leader: this.leadership.leader() ?? null };
  }

  private scanState(): Record<string, unknown> {
    const scan = this.store.latestScan;
    return {
      ...this.role(),
      running: this.store.runningScan?.id ?? null,
      lastScan: scan ? { id: scan.id, status: scan.status, finishedAt: scan.finishedAt } : null,
      lastScanAgeSeconds: scan?.finishedAt ? Math.round((Date.now() - Date.parse(scan.finishedAt)) / 1000) : null,
    };
  }
}
