/**
 * Bearer authentication. A token is accepted if it equals a configured static token (compared in constant time, on
 * digests so its length leaks nothing either), or if it is a JWT that verifies — HS256 with the shared secret, or
 * RS256 against a JWKS file — and has not expired. Anything else gets 401 with a WWW-Authenticate challenge
 * (RFC 6750). On success the token's subject becomes the exchange's client key, so rate limits count per identity.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Stage } from '../exchange.js';
import { replyError } from '../exchange.js';
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

/** The token check alone: resolves to the client's identity, or undefined when the token is not accepted. */
export function createVerifier(options: AuthOptions): (token: string) => Promise<string | undefined> {
  const digests = options.tokens.map(digest);
  const secret = options.hs256Secret === undefined ? undefined : new TextEncoder().encode(options.hs256Secret);
  const keySet: JWTVerifyGetKey | undefined = options.jwks === undefined ? undefined : createLocalJWKSet(options.jwks);
  const audience = options.audience === undefined ? {} : { audience: options.audience };

  async function verify(token: string): Promise<string | undefined> {
    if (digests.length > 0) {
      const d = digest(token);
      // Compare against every token, always: the time taken does not say which (or whether one) matched.
      let match = false;
      for (const t of digests) match = timingSafeEqual(d, t) || match;
      // Each static token is its own client (for rate limits); a digest prefix names it without revealing it.
      if (match) return `token-${d.subarray(0, 6).toString('hex')}`;
    }
    if (token.split('.').length !== 3) return undefined;
    try {
      if (secret !== undefined) {
        const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], ...audience });
        return payload.sub ?? 'jwt';
      }
    } catch {
      // fall through to RS256
    }
    try {
      if (keySet !== undefined) {
        const { payload } = await jwtVerify(token, keySet, { algorithms: ['RS256'], ...audience });
        return payload.sub ?? 'jwt';
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  return verify;
}

export function authStage(options: AuthOptions, metrics: ProxyMetrics): Stage {
  const verify = createVerifier(options);
  return (next) => (ex) => {
    const header = ex.req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (token === undefined || token === '') return deny(ex.res, 'invalid_request', 'missing bearer token');
    verify(token).then(
      (subject) => {
        if (subject === undefined) return deny(ex.res, 'invalid_token', 'the token is not valid');
        ex.clientKey = `sub:${subject}`;
        next(ex);
      },
      () => deny(ex.res, 'invalid_token', 'the token could not be checked'),
    );
  };

  function deny(res: Parameters<typeof replyError>[0], error: string, description: string): void {
    metrics.rejected.inc({ reason: 'auth' });
    replyError(res, 401, null, `unauthorized: ${description}`, -32001, {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="${error}", error_description="${description}"`,
    });
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
