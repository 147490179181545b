/**
 * The proxy's synchronous HS256 check (proxy/stages/auth.ts verifyHs256) against tokens made by jose, the library it
 * replaced on this path: what jose signs correctly passes; every way a token can be wrong fails.
 */
import assert from 'node:assert/strict';
import { createHmac, createSecretKey } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createVerifier, verifyHs256 } from '../../proxy/stages/auth.js';

const SECRET = 'a-shared-secret-of-some-length';
const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
const raw = new TextEncoder().encode(SECRET);
const now = Math.floor(Date.now() / 1000);
const sign = (
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256' },
  secret = raw,
): Promise<string> => new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(secret);

test('a jose-signed HS256 token passes, with its claims; the subject names the client', async () => {
  const token = await sign({ sub: 'alice', exp: now + 60, nbf: now - 5, aud: ['x', 'mcp'] });
  assert.deepEqual(verifyHs256(token, key, 'mcp'), { sub: 'alice', exp: now + 60, nbf: now - 5, aud: ['x', 'mcp'] });
  assert.equal((await createVerifier({ tokens: [], hs256Secret: SECRET, audience: 'mcp' })(token))?.subject, 'alice');
  assert.equal(
    (await createVerifier({ tokens: [], hs256Secret: SECRET })(await sign({})))?.subject,
    'jwt',
    'no subject: a generic client',
  );
});

test('expired, not yet valid, wrong audience, wrong secret, tampered: all refused', async () => {
  assert.equal(verifyHs256(await sign({ exp: now - 1 }), key, undefined), undefined, 'expired');
  assert.equal(verifyHs256(await sign({ exp: now }), key, undefined, now), undefined, 'exp is exclusive');
  assert.equal(verifyHs256(await sign({ exp: 'tomorrow' }), key, undefined), undefined, 'exp not a number');
  assert.equal(verifyHs256(await sign({ nbf: now + 60 }), key, undefined), undefined, 'not yet valid');
  assert.equal(verifyHs256(await sign({ aud: 'other' }), key, 'mcp'), undefined, 'audience');
  assert.equal(verifyHs256(await sign({}), key, 'mcp'), undefined, 'audience required but absent');
  assert.equal(
    verifyHs256(await sign({}, { alg: 'HS256' }, new TextEncoder().encode('another-secret-entirely')), key, undefined),
    undefined,
    'secret',
  );
  const good = await sign({ sub: 'alice' });
  const [h, p, s] = good.split('.');
  const evil = Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url');
  assert.equal(verifyHs256(`${h}.${evil}.${s}`, key, undefined), undefined, 'payload swapped');
  assert.equal(verifyHs256(`${h}.${p}.${s}A`, key, undefined), undefined, 'signature not canonical');
  assert.equal(verifyHs256(`${h}.${p}`, key, undefined), undefined, 'two parts');
  assert.equal(verifyHs256(`${h}.${p}.${s}.x`, key, undefined), undefined, 'four parts');
  assert.equal(verifyHs256(`${h}..${s}`, key, undefined), undefined, 'empty payload');
});

test('other algorithms and extensions are refused, whatever the signature', async () => {
  assert.equal(verifyHs256(new UnsecuredJWT({ sub: 'x' }).encode(), key, undefined), undefined, 'alg none');
  assert.equal(verifyHs256(await sign({}, { alg: 'HS512' }), key, undefined), undefined, 'HS512');
  // jose will not sign an unknown critical extension; a hand-made token, correctly signed, carries one.
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 })}.${b64({ sub: 'x' })}`;
  const crit = `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  assert.equal(verifyHs256(crit, key, undefined), undefined, 'crit');
  const plain = `${b64({ alg: 'HS256' })}.${b64({ sub: 'x' })}`;
  assert.deepEqual(
    verifyHs256(`${plain}.${createHmac('sha256', key).update(plain).digest('base64url')}`, key, undefined),
    { sub: 'x' },
    'the same, without crit, passes',
  );
  const headerNotJson = `${Buffer.from('not json').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AAAA`;
  assert.equal(verifyHs256(headerNotJson, key, undefined), undefined);
});
