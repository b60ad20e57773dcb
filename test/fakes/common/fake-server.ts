import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The base of every HTTP fake: a tiny router, a request log, fault injection and
 * the shared control API (`/__fake/*`), so tests, the sandbox, the benchmark and
 * a person with curl drive all four fakes alike.
 */

export interface FakeRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the route. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  params: Record<string, string>;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw bytes instead of JSON (file downloads). */
  raw?: Buffer;
}

export type RouteHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  template: string;
  handler: RouteHandler;
}

export interface FaultRule {
  /** Matches `METHOD /path/template` or a path prefix; `*` matches every route. */
  route: string;
  /** Added latency in ms before the answer. */
  latencyMs?: number;
  /** Answer with this status at `rate` (0..1). */
  status?: number;
  rate?: number;
  /** For 429: the Retry-After header value in seconds. */
  retryAfterSeconds?: number;
  /** Close the socket without an answer at this rate. */
  dropRate?: number;
  /** Never answer (the client's timeout fires) at this rate. */
  timeoutRate?: number;
  /** Apply only to the next N matching requests, then expire. */
  times?: number;
  /** For status faults: whether the route's effect still happens (a lost answer). */
  applyThenFail?: boolean;
  /**
   * Holds each matching request until this settles, then serves it as usual (in-process
   * only, not through the control API): a test orders two concurrent runs by the event
   * it waits for instead of by a latency it hopes is long enough.
   */
  hold?: Promise<unknown>;
  /**
   * Several statuses from one rule, each at its own rate (the rates sum to at most 1);
   * one draw per request picks at most one, so "20 % 5xx and 10 % 429" on `*` is one rule.
   */
  statusMix?: StatusFault[];
}

export interface StatusFault {
  status: number;
  rate: number;
  retryAfterSeconds?: number;
  applyThenFail?: boolean;
}

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  route: string;
  status: number;
  query: string;
  body?: unknown;
}

export interface FakeOptions {
  name: string;
  /** Default latency for every route (the benchmark sets it). */
  latencyMs?: number;
  /** Keep request bodies in the log (off by default: the benchmark sends many). */
  logBodies?: boolean;
}

export abstract class FakeServer {
  private readonly routes: Route[] = [];
  private server?: http.Server;
  private faults: FaultRule[] = [];
  requests: LoggedRequest[] = [];
  latencyMs: number;
  readonly name: string;
  private readonly logBodies: boolean;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** The draws of the fault injection; `Math.random` until a test seeds it. */
  private random: () => number = Math.random;
  private drawSeed?: number;
  /** Every `access_token` this fake answered and every bearer token it was sent. */
  private readonly seenTokens = new Set<string>();

  protected constructor(options: FakeOptions) {
    this.name = options.name;
    this.latencyMs = options.latencyMs ?? 0;
    this.logBodies = options.logBodies ?? true;
  }

  /** The whole in-memory state, for `GET /__fake/state`. */
  abstract state(): unknown;
  /** Back to empty (and default credentials). */
  abstract reset(): void;
  /** Loads data; the shape is the fake's own (see each fake). */
  abstract seed(data: unknown): void;

  route(method: string, template: string, handler: RouteHandler): void {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' +
        template
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:(\w+)(\*)?/g, (_m, key: string, star?: string) => {
            keys.push(key);
            return star ? '(.+)' : '([^/]+)';
          }) +
        '/?$',
    );
    this.routes.push({ method: method.toUpperCase(), pattern, keys, template, handler });
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error(`${this.name} fake is not listening`);
    return `http://127.0.0.1:${addr.port}`;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    // Clients (fetch/undici, axios' agent) keep sockets alive for about 4-5 s; a server
    // closing an idle socket at 5 s races a request being written on it (ECONNRESET on a
    // large upload under load). close() destroys every socket, so a long timeout is harmless.
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  setFaults(rules: FaultRule[]): void {
    this.faults = rules.map((r) => ({ ...r }));
  }

  /**
   * Seeds the fault draws (drop, timeout, status) so a failure can be replayed: the
   * same seed gives the same sequence of draws. The draws are taken in the order the
   * requests arrive, so with concurrent clients a replay repeats the faults' pattern
   * and rates, not necessarily which request met which fault.
   */
  seedFaults(seed: number): void {
    this.drawSeed = seed;
    this.random = seededRandom(seed);
  }

  /** The seed of the fault draws, or undefined while they use `Math.random`. */
  get faultSeed(): number | undefined {
    return this.drawSeed;
  }

  /**
   * Credentials this fake handed out or was shown: each `access_token` in an answer
   * (the OAuth token endpoints) and each `Authorization: Bearer` value received. The
   * secret scan searches the logs for them, as for the configured secrets.
   */
  issuedTokens(): string[] {
    return [...this.seenTokens];
  }

  clearLog(): void {
    this.requests = [];
  }

  /** Requests by `METHOD template`, e.g. `{ 'PUT /api/v1/advonet/Beteiligte/:betnr': 3 }`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.requests)
      out[`${r.method} ${r.route}`] = (out[`${r.method} ${r.route}`] ?? 0) + 1;
    return out;
  }

  count(method: string, template: string): number {
    return this.requests.filter((r) => r.method === method && r.route === template).length;
  }

  /** Requests that were answered, minus the control API. */
  countWrites(): number {
    return this.requests.filter((r) => r.method !== 'GET' && r.status < 400).length;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) this.seenTokens.add(bearer);

    if (path.startsWith('/__fake/')) return this.control(method, path, rawBody, res);

    let body: unknown;
    if (rawBody.length > 0 && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return this.send(
          res,
          { status: 400, body: { error: 'invalid JSON' } },
          method,
          path,
          '?',
          url,
          undefined,
        );
      }
    }

    const match = this.match(method, path);
    const template = match?.route.template ?? path;
    const fake: FakeRequest = {
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body,
      params: match?.params ?? {},
    };

    const fault = this.pickFault(method, template, path);
    if (fault?.hold) await fault.hold;
    const latency = (fault?.latencyMs ?? 0) + this.latencyMs;
    if (latency > 0) await sleep(latency);
    if (fault?.dropRate && this.random() < fault.dropRate) {
      this.log(method, path, template, 0, url, body);
      req.socket.destroy();
      return;
    }
    if (fault?.timeoutRate && this.random() < fault.timeoutRate) {
      this.log(method, path, template, -1, url, body);
      return; // never answers; the socket is destroyed on close()
    }
    const injected = fault ? drawStatus(fault, this.random) : undefined;
    if (injected) {
      if (injected.applyThenFail && match) await match.route.handler(fake);
      const headers: Record<string, string> = {};
      if (injected.status === 429) headers['Retry-After'] = String(injected.retryAfterSeconds ?? 1);
      return this.send(
        res,
        { status: injected.status, body: this.faultBody(injected.status), headers },
        method,
        path,
        template,
        url,
        body,
      );
    }

    if (!match) {
      return this.send(
        res,
        { status: 404, body: { error: `no route ${method} ${path}` } },
        method,
        path,
        template,
        url,
        body,
      );
    }
    let answer: FakeResponse;
    try {
      answer = await match.route.handler(fake);
    } catch (err) {
      answer = { status: 500, body: { error: String((err as Error)?.message ?? err) } };
    }
    this.send(res, answer, method, path, template, url, body);
  }

  /** The error body a fault answers with; fakes override it to match their system. */
  protected faultBody(status: number): unknown {
    return { error: `injected ${status}` };
  }

  private match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
    return undefined;
  }

  private pickFault(method: string, template: string, path: string): FaultRule | undefined {
    const idx = this.faults.findIndex(
      (f) =>
        f.route === '*' ||
        f.route === `${method} ${template}` ||
        f.route === template ||
        path.startsWith(f.route) ||
        `${method} ${path}`.startsWith(f.route),
    );
    if (idx < 0) return undefined;
    const rule = this.faults[idx];
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.faults.splice(idx, 1);
    }
    return rule;
  }

  private log(
    method: string,
    path: string,
    route: string,
    status: number,
    url: URL,
    body: unknown,
  ): void {
    this.requests.push({
      at: Date.now(),
      method,
      path,
      route,
      status,
      query: url.search,
      body: this.logBodies ? body : undefined,
    });
  }

  private send(
    res: ServerResponse,
    answer: FakeResponse,
    method: string,
    path: string,
    template: string,
    url: URL,
    body: unknown,
  ): void {
    this.log(method, path, template, answer.status, url, body);
    const issued = (answer.body as { access_token?: unknown } | undefined)?.access_token;
    if (typeof issued === 'string' && issued.length > 0) this.seenTokens.add(issued);
    const headers = { ...(answer.headers ?? {}) };
    if (answer.raw) {
      res.writeHead(answer.status, { 'Content-Type': 'application/octet-stream', ...headers });
      res.end(answer.raw);
      return;
    }
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers);
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(answer.body));
  }

  private control(method: string, path: string, rawBody: Buffer, res: ServerResponse): void {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body: unknown;
    try {
      body = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : undefined;
    } catch {
      return json(400, { error: 'invalid JSON' });
    }
    const op = `${method} ${path.replace(/\/$/, '')}`;
    switch (op) {
      case 'GET /__fake/state':
        return json(200, this.state());
      case 'GET /__fake/requests':
        return json(200, {
          total: this.requests.length,
          counts: this.counts(),
          requests: this.requests,
        });
      case 'DELETE /__fake/requests':
        this.clearLog();
        return json(200, { ok: true });
      case 'POST /__fake/reset':
        this.reset();
        this.setFaults([]);
        this.clearLog();
        return json(200, { ok: true });
      case 'POST /__fake/seed':
        try {
          this.seed(body);
        } catch (err) {
          return json(400, { error: (err as Error).message });
        }
        return json(200, { ok: true });
      case 'GET /__fake/faults':
        return json(200, {
          latencyMs: this.latencyMs,
          seed: this.drawSeed ?? null,
          faults: this.faults,
        });
      case 'POST /__fake/faults': {
        const b = (body ?? {}) as { faults?: FaultRule[]; latencyMs?: number; seed?: number };
        if (b.latencyMs !== undefined) this.latencyMs = b.latencyMs;
        if (typeof b.seed === 'number') this.seedFaults(b.seed);
        this.setFaults(Array.isArray(b.faults) ? b.faults : []);
        return json(200, { ok: true });
      }
      default:
        return json(404, { error: `unknown control ${op}` });
    }
  }
}

function drawStatus(rule: FaultRule, random: () => number): StatusFault | undefined {
  if (rule.statusMix) {
    let draw = random();
    for (const f of rule.statusMix) {
      if (draw < f.rate) return f;
      draw -= f.rate;
    }
  }
  if (rule.status && random() < (rule.rate ?? 1)) {
    return {
      status: rule.status,
      rate: rule.rate ?? 1,
      retryAfterSeconds: rule.retryAfterSeconds,
      applyThenFail: rule.applyThenFail,
    };
  }
  return undefined;
}

/** mulberry32: a small, fast PRNG whose whole state is the seed; [0, 1) like Math.random. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
