import type { Issue } from '@opsagent/core/issue';

/** The agent could not be asked (refused connection, an HTTP error, a body that is not its issue list). */
export class AgentRequestError extends Error {}

/** A page of `GET /api/v1/issues` as the agent answers it. */
interface IssuePage {
  items: Issue[];
  continue?: string;
}

const PAGE_SIZE = 1000;
/** Per request; a large cluster's page of 1,000 issues is well under a second on a loaded agent. */
const TIMEOUT_MS = 30_000;

/**
 * The issues of a running agent (`opsagent fix --from URL`): every page of its REST API, with a bearer token when
 * its `server.auth.mode` is `kubernetes`.
 */
export class AgentIssuesClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async listIssues(): Promise<Issue[]> {
    const issues: Issue[] = [];
    let token: string | undefined;
    do {
      const url = new URL('api/v1/issues', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
      url.searchParams.set('limit', String(PAGE_SIZE));
      if (token !== undefined) url.searchParams.set('continue', token);
      const page = await this.get(url);
      issues.push(...page.items);
      token = page.continue;
    } while (token !== undefined);
    return issues;
  }

  private async get(url: URL): Promise<IssuePage> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new AgentRequestError(`--from: GET ${url.href} failed: ${reason}`);
    }
    const text = await res.text();
    if (res.status !== 200) {
      let message = text.slice(0, 200);
      try {
        const body = JSON.parse(text) as { message?: unknown };
        if (typeof body.message === 'string') message = body.message;
      } catch {
        // not JSON: the start of the text
      }
      const hint = res.status === 401 ? ' (the agent needs a token: --token or --token-file)' : '';
      throw new AgentRequestError(`--from: GET ${url.href} answered ${res.status}: ${message}${hint}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentRequestError(`--from: GET ${url.href} answered 200 with a body that is not JSON`);
    }
    const page = body as Partial<IssuePage>;
    if (!Array.isArray(page.items) || (page.continue !== undefined && typeof page.continue !== 'string')) {
      throw new AgentRequestError(`--from: GET ${url.href} did not answer an issue list ({ items, continue })`);
    }
    return page as IssuePage;
  }
}
