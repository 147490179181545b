/**
 * Bearer authentication. A token is accepted if it equals a configured static token (compared in constant time, on
 * digests so its length leaks nothing either), or if it is a JWT that verifies — HS256 with the shared secret, or
 * RS256 against a JWKS file — and has not expired. HS256 is checked synchronously (verifyHs256); RS256 with jose. Anything else gets 401 with a WWW-Authenticate challenge
 * (RFC 6750). On success the token's subject becomes the exchange's client key, so rate limits count per identity,
 * and its principal the owner of the sessions the exchange opens.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Exchange, Stage } from '../exchange.js';
import { refusalId, replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export interface AuthOptions {
  /** Static bearer tokens. */
  readonly tokens: readonly string[];
  /** Shared secret for HS256 JWTs. */
  readonly hs256Secret?: string;
  /** Public keys for RS256 JWTs. */
  readonly jwks?: JSONWebKeySet;
  /** Required `aud` claim, if set. */
  readonly audience?: string;
}

const REALM = 'mcp-perf';

/** Who a token speaks for. */
export interface Identity {
  /** A readable name for rate limits and logs: a JWT's `sub`, or a short digest prefix for a static token. */
  readonly subject: string;
  /**
   * What sessions are bound to: a static token's whole SHA-256 digest, or a JWT's issuer and subject. Two tokens of
   * the same principal (a renewed JWT) share sessions; two principals never do.
   */
  readonly principal: string;
}

/** The token check alone: resolves to the token's identity, or undefined when the token is not accepted. */
export function createVerifier(options: AuthOptions): (token: string) => Promise<Identity | undefined> {
  const digests = options.tokens.map(digest);
  const secret =
    options.hs256Secret === undefined ? undefined : createSecretKey(Buffer.from(options.hs256Secret, 'utf8'));
  const keySet: JWTVerifyGetKey | undefined = options.jwks === undefined ? undefined : createLocalJWKSet(options.jwks);
  const audience = options.audience === undefined ? {} : { audience: options.audience };

  async function verify(token: string): Promise<Identity | undefined> {
    if (digests.length > 0) {
      const d = digest(token);
      // Compare against every token, always: the time taken does not say which (or whether one) matched.
      let match = false;
      for (const t of digests) match = timingSafeEqual(d, t) || match;
      // Each static token is its own client (for rate limits); a digest prefix names it without revealing it.
      if (match)
        return { subject: `token-${d.subarray(0, 6).toString('hex')}`, principal: `token:${d.toString('hex')}` };
    }
    if (token.split('.').length !== 3) return undefined;
    if (secret !== undefined) {
      const payload = verifyHs256(token, secret, options.audience);
      if (payload !== undefined) return jwtIdentity(payload);
    }
    try {
      if (keySet !== undefined) {
        const { payload } = await jwtVerify(token, keySet, { algorithms: ['RS256'], ...audience });
        return jwtIdentity(payload);
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  return verify;
}

function jwtIdentity(payload: Record<string, unknown>): Identity {
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  const iss = typeof payload.iss === 'string' ? payload.iss : '';
  return { subject: sub ?? 'jwt', principal: `jwt:${JSON.stringify([iss, sub ?? ''])}` };
}

/** The token of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

export function authStage(options: AuthOptions, metrics: ProxyMetrics): Stage {
  const verify = createVerifier(options);
  return (next) => (ex) => {
    const token = bearerToken(ex.req.headers.authorization);
    if (token === undefined) return deny(ex, 'invalid_request', 'missing bearer token');
    verify(token).then(
      (identity) => {
        if (identity === undefined) return deny(ex, 'invalid_token', 'the token is not valid');
        ex.clientKey = `sub:${identity.subject}`;
        ex.principal = identity.principal;
        next(ex);
      },
      () => deny(ex, 'invalid_token', 'the token could not be checked'),
    );
  };

  function deny(ex: Exchange, error: string, description: string): void {
    metrics.rejected.inc({ reason: 'auth' });
    replyError(ex.res, 401, refusalId(ex), `unauthorized: ${description}`, -32001, {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="${error}", error_description="${description}"`,
    });
  }
}

/**
 * An HS256 JWT checked synchronously with node:crypto: about 5 µs, where jose's WebCrypto path (asynchronous, through
 * libuv's thread pool) took 90–230 µs here and varied with how soon a pool thread woke. RS256 stays with jose.
 * Accepted only if: the header says alg HS256 and asks for no extension (no `crit`, no unencoded payload); the
 * signature, in canonical base64url, equals HMAC-SHA256 over the first two parts (compared in constant time); the
 * payload is a JSON object whose `exp` (if any) is in the future, `nbf` (if any) not, and `aud` holds the audience
 * when one is required.
 */
export function verifyHs256(
  token: string,
  key: KeyObject,
  audience: string | undefined,
  nowSec = Math.floor(Date.now() / 1000),
): Record<string, unknown> | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return undefined;
  const header = parseJsonObject(token.slice(0, first));
  if (header === undefined || header.alg !== 'HS256' || 'crit' in header || header.b64 === false) return undefined;
  const signature = token.slice(second + 1);
  const expected = createHmac('sha256', key).update(token.slice(0, second)).digest();
  const given = Buffer.from(signature, 'base64url');
  if (
    given.length !== expected.length ||
    !timingSafeEqual(given, expected) ||
    given.toString('base64url') !== signature
  )
    return undefined;
  const payload = parseJsonObject(token.slice(first + 1, second));
  if (payload === undefined) return undefined;
  if (payload.exp !== undefined && !(typeof payload.exp === 'number' && payload.exp > nowSec)) return undefined;
  if (payload.nbf !== undefined && !(typeof payload.nbf === 'number' && payload.nbf <= nowSec)) return undefined;
  if (
    audience !== undefined &&
    !(payload.aud === audience || (Array.isArray(payload.aud) && payload.aud.includes(audience)))
  )
    return undefined;
  return payload;
}

function parseJsonObject(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
