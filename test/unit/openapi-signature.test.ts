/**
 * The RPC-style OpenAPI signature and the ApplyToken input rules, on the sources. Portable: runs in
 * Node and in Chromium.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  MAX_TOKEN_TTL,
  MIN_TOKEN_TTL,
  openApiSignature,
  percentEncode,
  rpcTimestamp,
  signRpcRequest,
  stringToSign,
  tokenTypeOf,
  ApsaraMqttAuthError,
} from '../../src/server/server-entry.js';
import { _requireActions, _requireExpireTime, _requireResources } from '../../src/protocol/token-rules.js';
import { DOC_RPC_EXAMPLE } from '../helpers/openapi-vectors.js';
import { nobleHmacSha1 } from '../../src/index.js';

function caught(run: () => unknown): ApsaraMqttAuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    return error as ApsaraMqttAuthError;
  }
  throw new Error('expected a throw');
}

describe('RPC signature (SignatureVersion 1.0)', () => {
  it('reproduces the documented DescribeRegions example', async () => {
    const { params, secret } = DOC_RPC_EXAMPLE;
    expect(stringToSign('GET', params)).toBe(DOC_RPC_EXAMPLE.stringToSign);
    expect(await openApiSignature({ method: 'GET', params, accessKeySecret: secret })).toBe(DOC_RPC_EXAMPLE.signature);
  });

  it('signRpcRequest builds the same request from options', async () => {
    const signed = await signRpcRequest({
      method: 'GET',
      action: 'DescribeRegions',
      version: '2014-05-26',
      accessKeyId: 'testid',
      accessKeySecret: 'testsecret',
      format: 'XML',
      now: Date.parse('2016-02-23T12:46:24.000Z'),
      nonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    });
    expect(signed).toEqual({ ...DOC_RPC_EXAMPLE.params, Signature: DOC_RPC_EXAMPLE.signature });
  });

  it('the method is part of what is signed', async () => {
    const { params, secret } = DOC_RPC_EXAMPLE;
    const post = await openApiSignature({ method: 'POST', params, accessKeySecret: secret });
    expect(post).not.toBe(DOC_RPC_EXAMPLE.signature);
    expect(stringToSign('post', params).startsWith('POST&%2F&')).toBe(true);
  });

  it('signs through a caller-supplied adapter, and hides what a failing one says', async () => {
    const { params, secret } = DOC_RPC_EXAMPLE;
    const seen: string[] = [];
    const viaNoble = await openApiSignature({
      method: 'GET',
      params,
      accessKeySecret: secret,
      hmac: (key, message) => {
        seen.push(new TextDecoder().decode(key));
        return nobleHmacSha1(key, message);
      },
    });
    expect(viaNoble).toBe(DOC_RPC_EXAMPLE.signature);
    expect(seen).toEqual(['testsecret&']);
    const leaky = (key: Uint8Array): Uint8Array => {
      throw new Error(`cannot use key ${new TextDecoder().decode(key)}`);
    };
    const error = await openApiSignature({ method: 'GET', params, accessKeySecret: 'S3cr3t-in-adapter', hmac: leaky }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_HMAC_UNAVAILABLE', field: 'hmac' });
    expect(String((error as Error).message)).not.toContain('S3cr3t-in-adapter');
    expect((error as Error).cause).toBeUndefined();
  });

  it('refuses to let action parameters override common ones', async () => {
    const base = { method: 'POST' as const, action: 'ApplyToken', version: '2020-04-20', accessKeyId: 'id', accessKeySecret: 's', now: 0, nonce: 'n' };
    await expect(signRpcRequest({ ...base, params: { Timestamp: 'x' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'params.Timestamp' });
    await expect(signRpcRequest({ ...base, params: { Signature: 'x' } })).rejects.toMatchObject({ field: 'params.Signature' });
    await expect(signRpcRequest({ ...base, method: 'PUT' as never })).rejects.toMatchObject({ field: 'method' });
    await expect(signRpcRequest({ ...base, accessKeySecret: '' })).rejects.toMatchObject({ field: 'accessKeySecret' });
  });
});

describe('percent-encoding and canonical query', () => {
  it.each([
    ['space', 'a b', 'a%20b'],
    ['asterisk', 'a*b', 'a%2Ab'],
    ['tilde kept', 'a~b', 'a~b'],
    ['unreserved kept', 'AZaz09-_.~', 'AZaz09-_.~'],
    ['sub-delims of encodeURIComponent', "!'()", '%21%27%28%29'],
    ['plus and equals and ampersand', '+=&', '%2B%3D%26'],
    ['slash and colon', '/:', '%2F%3A'],
    ['two-byte UTF-8', 'é', '%C3%A9'],
    ['three-byte UTF-8', '数据', '%E6%95%B0%E6%8D%AE'],
    ['four-byte UTF-8 (surrogate pair)', '🚀', '%F0%9F%9A%80'],
    ['percent itself', '100%', '100%25'],
  ])('%s', (_name, input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });

  it('sorts by code unit (upper case before lower case), not by locale', () => {
    expect(canonicalQuery({ b: '1', B: '2', a: '3', A_: '4', 'a-': '5' })).toBe('A_=4&B=2&a=3&a-=5&b=1');
  });

  it('encodes names and values, then the whole query once more in the string to sign', () => {
    expect(canonicalQuery({ 'Resources': 'a/b,c d' })).toBe('Resources=a%2Fb%2Cc%20d');
    expect(stringToSign('GET', { Resources: 'a/b,c d' })).toBe('GET&%2F&Resources%3Da%252Fb%252Cc%2520d');
  });

  it('signs unicode values as their UTF-8 bytes (stable across runtimes)', async () => {
    const a = await openApiSignature({ method: 'GET', params: { Topic: 'télémetrie/数据/🚀' }, accessKeySecret: 'κλειδί' });
    const b = await openApiSignature({ method: 'GET', params: { Topic: 't\u00e9l\u00e9metrie/数据/🚀' }, accessKeySecret: 'κλειδί' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('Timestamp is ISO 8601 UTC to the second', () => {
    expect(rpcTimestamp(Date.parse('2016-02-23T12:46:24.789Z'))).toBe('2016-02-23T12:46:24Z');
    expect(caught(() => rpcTimestamp(NaN)).field).toBe('now');
  });
});

describe('ApplyToken input rules', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('resources: sorted, de-duplicated, commas split, P2P and wildcards allowed', () => {
    expect(_requireResources(['b/#', 'a/+/x', 'b/#', 'A/p2p/GID_x@@@dev-1'])).toEqual(['A/p2p/GID_x@@@dev-1', 'a/+/x', 'b/#']);
    expect(_requireResources('z,y,x')).toEqual(['x', 'y', 'z']);
  });

  it('resources: 100 topics allowed, 101 refused, empty and bad ones named', () => {
    const topics = Array.from({ length: 101 }, (_, i) => `t/${String(i).padStart(3, '0')}`);
    expect(_requireResources(topics.slice(0, 100))).toHaveLength(100);
    expect(caught(() => _requireResources(topics)).message).toContain('at most 100');
    expect(caught(() => _requireResources([])).field).toBe('resources');
    expect(caught(() => _requireResources(['ok', ''])).field).toBe('resources[1]');
    expect(caught(() => _requireResources(['ok', 'a b'])).field).toBe('resources[1]');
    expect(caught(() => _requireResources([7])).field).toBe('resources[0]');
    expect(caught(() => _requireResources({})).field).toBe('resources');
  });

  it('actions: R, W and R,W only; types R, W, RW', () => {
    expect([tokenTypeOf('R'), tokenTypeOf('W'), tokenTypeOf('R,W')]).toEqual(['R', 'W', 'RW']);
    for (const bad of ['RW', 'W,R', 'r', '', 'R, W', undefined]) expect(caught(() => _requireActions(bad)).field).toBe('actions');
  });

  it('expireTime: 60 s to 30 days ahead, in milliseconds', () => {
    expect(_requireExpireTime(now + MIN_TOKEN_TTL, now)).toBe(now + MIN_TOKEN_TTL);
    expect(_requireExpireTime(now + MAX_TOKEN_TTL, now)).toBe(now + MAX_TOKEN_TTL);
    const short = caught(() => _requireExpireTime(now + MIN_TOKEN_TTL - 1, now));
    expect(short).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'expireTime' });
    expect(short.message).toContain('at least 60 seconds');
    const long = caught(() => _requireExpireTime(now + MAX_TOKEN_TTL + 1, now));
    expect(long.message).toContain('at most 30 days');
    // Seconds instead of milliseconds: far in the past, so "too short".
    expect(caught(() => _requireExpireTime(Math.floor(now / 1000) + 3600, now)).field).toBe('expireTime');
    expect(caught(() => _requireExpireTime(now + 120_000.5, now)).field).toBe('expireTime');
  });
});
