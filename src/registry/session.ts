/**
 * One registry host, authenticated: anonymous, basic, or docker's bearer-token flow (challenge
 * from `WWW-Authenticate`, token per scope set, cached until it expires, fetched again on 401 or
 * `insufficient_scope`). Token realms are validated (https, no private or link-local literals)
 * unless the registry itself is a plain-http host configured explicitly and the realm is on it.
 *
 *   const session = new RegistrySession({ registry: '127.0.0.1:5000', insecure: true });
 *   const response = await session.request({ method: 'GET', path: '/v2/a/b/tags/list' }, ['repository:a/b:pull']);
 */
import { LayerkitError } from '../errors.ts';
import { type Credentials, dockerCredentials } from './credentials.ts';
import { defaultTransport, describeFailure, ERROR_BODY_CAP, readCapped, type RegistryRequest, send, type Transport } from './http.ts';
import { apiHost } from './reference.ts';
import { type Challenge, parseChallenges } from './www-authenticate.ts';

export interface SessionOptions {
  /** `host[:port]` as references name it (docker.io for Docker Hub). */
  registry: string;
  /** Speak plain http to this host (only for hosts configured so, never as a fallback). */
  insecure?: boolean;
  /** Credentials to use; default: docker's config.json (and its helpers). `null` = anonymous. */
  credentials?: Credentials | null;
  transport?: Partial<Transport>;
  userAgent?: string;
}

export interface SessionRequest extends Omit<RegistryRequest, 'url'> {
  /** Path below the registry origin (`/v2/…`), or an absolute URL the registry gave (upload locations). */
  path: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

export class RegistrySession {
  readonly registry: string;
  readonly origin: string;
  readonly transport: Transport;
  private readonly insecure: boolean;
  private credentials: Promise<Credentials | undefined> | undefined;
  private challenge: Challenge | undefined;
  private pinged: Promise<void> | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly userAgent: string;
  /** Tokens fetched (for tests and debugging). */
  tokenFetches = 0;

  constructor(private readonly options: SessionOptions) {
    this.registry = options.registry;
    this.insecure = options.insecure === true;
    this.origin = `${this.insecure ? 'http' : 'https'}://${apiHost(options)}`;
    this.transport = defaultTransport(options.transport);
    this.userAgent = options.userAgent ?? 'layerkit';
    if (options.credentials !== undefined) this.credentials = Promise.resolve(options.credentials ?? undefined);
  }

  /** `GET /v2/`: learns how the registry wants to be authenticated; fails if it is not a registry. */
  ping(): Promise<void> {
    this.pinged ??= (async () => {
      const response = await send({ url: `${this.origin}/v2/`, method: 'GET', headers: { 'user-agent': this.userAgent } }, this.transport);
      await readCapped(response, ERROR_BODY_CAP, 'ping body').catch(() => undefined);
      if (response.status === 401) this.challenge = pickChallenge(response.headers.get('www-authenticate'));
      else if (!response.ok) throw new LayerkitError('REGISTRY_ERROR', `${this.origin}/v2/ answered HTTP ${response.status}`, { hint: 'is this an OCI registry?' });
    })();
    this.pinged.catch(() => (this.pinged = undefined));
    return this.pinged;
  }

  /** What `docker login` checks: the registry (or its token server) accepts these credentials. */
  async verifyCredentials(): Promise<void> {
    await this.ping();
    const challenge = this.challenge;
    if (!challenge) return; // an open registry accepts anyone
    const creds = await this.getCredentials();
    const denied = (why: string) => new LayerkitError('AUTH_DENIED', `${this.registry} refused the credentials (${why})`, { hint: 'check the user name and password' });
    if (challenge.scheme === 'bearer') {
      await this.fetchToken(challenge, []);
      return;
    }
    const response = await send({ url: `${this.origin}/v2/`, method: 'GET', headers: { 'user-agent': this.userAgent, ...(creds?.username !== undefined ? { authorization: `Basic ${base64(`${creds.username}:${creds.password ?? ''}`)}` } : {}) } }, this.transport);
    await response.body?.cancel().catch(() => {});
    if (!response.ok) throw denied(`HTTP ${response.status}`);
  }

  /** Sends `request` with the credentials `scope` needs; answers the final response (any status but 401). */
  async request(request: SessionRequest, scope: string[]): Promise<Response> {
    await this.ping();
    const url = request.path.startsWith('/') ? `${this.origin}${request.path}` : this.checkedLocation(request.path);
    let refreshed = false;
    for (;;) {
      const authorization = await this.authorization(scope);
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
      if (authorization) headers.authorization = authorization;
      const response = await send({ ...request, url, headers }, this.transport);
      if ((response.status !== 401 && response.status !== 403) || refreshed) return response;
      const challenge = pickChallenge(response.headers.get('www-authenticate'));
      if (!challenge || (response.status === 403 && challenge.params.error !== 'insufficient_scope')) return response;
      await response.body?.cancel().catch(() => {});
      this.challenge = challenge;
      if (challenge.scheme === 'bearer') {
        for (const key of [...this.tokens.keys()]) if (key === scopeKey(scope)) this.tokens.delete(key);
        if (challenge.params.scope) scope = [...new Set([...scope, ...challenge.params.scope.split(' ')])];
      } else if (authorization) {
        return response; // basic credentials were refused; asking again would not help
      }
      refreshed = true;
    }
  }

  /** A location the registry returned (uploads): relative to, or on, the registry origin only. */
  private checkedLocation(location: string): string {
    const url = new URL(location, this.origin);
    if (url.origin !== this.origin) {
      throw new LayerkitError('REGISTRY_PROTOCOL', `the registry sent an upload location on another origin (${url.origin})`, { hint: 'refused, so credentials stay with the registry' });
    }
    return url.href;
  }

  private getCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= dockerCredentials(this.registry);
    return this.credentials;
  }

  private async authorization(scope: string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.getCredentials();
      if (creds?.username === undefined) return undefined;
      return `Basic ${base64(`${creds.username}:${creds.password ?? ''}`)}`;
    }
    if (challenge.scheme !== 'bearer') {
      throw new LayerkitError('AUTH_UNSUPPORTED', `${this.registry} asks for "${challenge.scheme}" authentication, which layerkit does not speak`);
    }
    const key = scopeKey(scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    const token = await this.fetchToken(challenge, scope);
    this.tokens.set(key, token);
    return token.header;
  }

  private async fetchToken(challenge: Challenge, scope: string[]): Promise<CachedToken> {
    const realm = this.checkedRealm(challenge.params.realm);
    const creds = await this.getCredentials();
    const service = challenge.params.service;
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    let request: RegistryRequest;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'layerkit' });
      if (service) form.set('service', service);
      if (scope.length) form.set('scope', scope.join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      request = { url: realm.href, method: 'POST', headers, body: new TextEncoder().encode(form.toString()), followRedirects: false };
    } else {
      if (service) realm.searchParams.set('service', service);
      for (const s of scope) realm.searchParams.append('scope', s);
      if (creds?.username !== undefined) headers.authorization = `Basic ${base64(`${creds.username}:${creds.password ?? ''}`)}`;
      request = { url: realm.href, method: 'GET', headers, followRedirects: false };
    }
    this.tokenFetches++;
    const response = await send(request, this.transport);
    if (!response.ok) {
      const { text } = await describeFailure(response);
      const denied = response.status === 401 || response.status === 403;
      throw new LayerkitError(denied ? 'AUTH_DENIED' : 'AUTH_FAILED', `the token server for ${this.registry} refused (${text})`, {
        hint: denied ? `check the credentials (layerkit login ${this.registry})` : 'the token server is not answering as docker\'s token protocol says',
      });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(await readCapped(response, ERROR_BODY_CAP, 'token response')));
    } catch (cause) {
      if (cause instanceof LayerkitError) throw cause;
      throw new LayerkitError('AUTH_FAILED', `the token server for ${this.registry} did not answer JSON`, { cause });
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) throw new LayerkitError('AUTH_FAILED', `the token server for ${this.registry} answered no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1, seconds - 5) * 1000 };
  }

  /** Where a token may be fetched from (hostile-cases rows 43, 45). */
  private checkedRealm(realm: string | undefined): URL {
    const refuse = (why: string) => new LayerkitError('AUTH_REALM_REFUSED', `${this.registry} sent a token realm ${JSON.stringify(String(realm).slice(0, 200))} that is refused: ${why}`, {
      hint: 'a realm must be https on a public host; plain http is accepted only on the same host as a registry configured insecure',
    });
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw refuse('not a URL');
    }
    const registryHost = new URL(this.origin).hostname;
    if (url.username || url.password) throw refuse('it carries credentials');
    if (this.insecure && url.hostname === registryHost && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
    if (url.protocol !== 'https:') throw refuse('not https');
    if (isPrivateHost(url.hostname)) throw refuse('it names a loopback, private or link-local address');
    return url;
  }
}

function pickChallenge(header: string | null): Challenge | undefined {
  const challenges = parseChallenges(header);
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? challenges[0];
}

const scopeKey = (scope: string[]) => [...scope].sort().join(' ');

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** Literal addresses a token realm may not point at: loopback, private, link-local, unspecified. */
export function isPrivateHost(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const v4 = name.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (name.includes(':')) {
    return name === '::' || name === '::1' || name.startsWith('fe8') || name.startsWith('fe9') || name.startsWith('fea') || name.startsWith('feb')
      || name.startsWith('fc') || name.startsWith('fd') || name.startsWith('::ffff:');
  }
  return false;
}
