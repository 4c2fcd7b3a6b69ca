/**
 * The protocol formats every side shares (`src/protocol/`): formatted and parsed by one module each,
 * so the client, the broker and the CLI cannot disagree. Runs in Node and Chromium.
 */
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError } from '../../src/index.js';
import { CONNECT_DEFAULTS } from '../../src/connect/options.js';
import { MAX_KEEPALIVE_SECONDS, MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES, RECOMMENDED_KEEPALIVE_SECONDS, TOPIC_ALIAS_MAXIMUM } from '../../src/protocol/limits.js';
import {
  _formatExpireNotice,
  _formatInvalidNotice,
  _formatUploadToken,
  _parseNotice,
  _parseOrderMsg,
  _parseUploadToken,
  SYS_TOPICS,
  TOKEN_INVALID_CODES,
  TOKEN_INVALID_REASONS,
  UPLOAD_TOKEN_TOPIC,
} from '../../src/protocol/sys-topics.js';
import { _formatTokenPassword, _tokenPairs, isTokenType, parseTokenPassword, TOKEN_TYPES } from '../../src/protocol/token-password.js';
import { _formatActions, _parseActions, _TYPE_ACTIONS, tokenTypeOf } from '../../src/protocol/token-rules.js';
import { MAX_TOPIC_LENGTH, p2pTopic, parentTopic, parseP2pTopic, topicProblem } from '../../src/protocol/topics.js';
import { _formatUsername, _joinUsername, _requireSegment, parseUsername, USERNAME_LABELS } from '../../src/protocol/username.js';

describe('Username: <Label>|<Id>|<InstanceId>', () => {
  it('formats with the label of each mode, checking both parts', () => {
    expect(_formatUsername(USERNAME_LABELS.signature, 'AK', 'accessKeyId', 'mqtt-x')).toBe('Signature|AK|mqtt-x');
    expect(_formatUsername(USERNAME_LABELS.device, 'DK', 'deviceAccessKeyId', 'mqtt-x')).toBe('DeviceCredential|DK|mqtt-x');
    expect(_joinUsername('Token', 'a b', 'x')).toBe('Token|a b|x');
    expect(() => _formatUsername('Token', 'A|K', 'accessKeyId', 'mqtt-x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'accessKeyId' }));
    expect(() => _formatUsername('Token', 'AK', 'accessKeyId', ' mqtt-x')).toThrow(expect.objectContaining({ field: 'instanceId' }));
    expect(() => _requireSegment('', 'instanceId')).toThrow(/instanceId must be a non-empty string \(got an empty string\)/);
  });

  it.each([
    ['Signature|AK|mqtt-x', { mode: 'signature', id: 'AK', instanceId: 'mqtt-x', problems: [] }],
    ['Token|AK|mqtt-x', { mode: 'token', id: 'AK', instanceId: 'mqtt-x', problems: [] }],
    ['DeviceCredential|DK|mqtt-x', { mode: 'device', id: 'DK', instanceId: 'mqtt-x', problems: [] }],
    ['dashboard-user', { mode: 'custom', problems: [] }],
    ['Signature', { mode: 'custom', problems: [] }],
  ])('parses %j', (username, expected) => {
    expect(parseUsername(username)).toEqual(expected);
  });

  it('names what breaks the format: a label in another case, a wrong number of parts', () => {
    expect(parseUsername('signature|AK|mqtt-x')).toMatchObject({ mode: 'signature', problems: ['the Username starts with "signature"; ApsaraMQ expects exactly "Signature"'] });
    expect(parseUsername('Token|AK').problems).toEqual(['the Username has 2 "|"-separated parts; Token mode needs 3: Token|<AccessKeyId>|<InstanceId>']);
    expect(parseUsername('Signature|AK|mqtt|x')).toMatchObject({ instanceId: 'mqtt|x', problems: [expect.stringContaining('4 "|"-separated parts')] });
  });
});

describe('token Password: <type>|<token> pairs', () => {
  it('formats the types given, in the order R, W, RW', () => {
    expect(TOKEN_TYPES).toEqual(['R', 'W', 'RW']);
    expect(_formatTokenPassword({ RW: 'c', R: 'a', W: 'b' })).toBe('R|a|W|b|RW|c');
    expect(() => _formatTokenPassword({})).toThrow(expect.objectContaining({ field: 'tokens' }));
    expect(() => _formatTokenPassword({ X: 'a' } as never)).toThrow(expect.objectContaining({ field: 'tokens.X' }));
    expect(() => _formatTokenPassword({ R: 'a|b' })).toThrow(expect.objectContaining({ field: 'tokens.R' }));
    expect(() => _formatTokenPassword({ W: '' })).toThrow(/tokens\.W must be a non-empty string/);
  });

  it('parses what it formats, and names every problem without quoting a token', () => {
    expect(parseTokenPassword(_formatTokenPassword({ R: 'a', W: 'b' }))).toEqual({ tokens: { R: 'a', W: 'b' }, types: ['R', 'W'], problems: [] });
    expect(parseTokenPassword('RW|secret-token|X|other').problems).toEqual(['"X" is not a token type (R, W or RW)']);
    expect(parseTokenPassword('R|secret-token|R|again').problems).toEqual(['the type R appears twice']);
    expect(parseTokenPassword('R|secret-token|W').problems).toEqual(['the "W" entry has no token after it']);
    expect(JSON.stringify(parseTokenPassword('R|secret-token|R|again'))).not.toContain('again');
  });

  it('lists the pairs to upload in band, for Token-mode Usernames only', () => {
    expect(_tokenPairs('Token|AK|x', 'R|a|W|b')).toEqual([{ type: 'R', token: 'a' }, { type: 'W', token: 'b' }]);
    expect(_tokenPairs('Signature|AK|x', 'R|a')).toEqual([]);
    expect(isTokenType('RW') && !isTokenType('rw') && !isTokenType('constructor')).toBe(true);
  });
});

describe('$SYS topics and payloads', () => {
  it('names the topics', () => {
    expect(SYS_TOPICS).toEqual({
      UPLOAD_TOKEN: '$SYS/uploadToken',
      TOKEN_EXPIRE_NOTICE: '$SYS/tokenExpireNotice',
      TOKEN_INVALID_NOTICE: '$SYS/tokenInvalidNotice',
      ENABLE_ORDER_MSG: '$SYS/enableOrderMsg',
    });
    expect(UPLOAD_TOKEN_TOPIC).toBe(SYS_TOPICS.UPLOAD_TOKEN);
  });

  it('reads the notices the broker formats (both documented spellings of the expiry notice)', () => {
    const invalid = JSON.stringify(_formatInvalidNotice(TOKEN_INVALID_CODES.RESOURCE_MISMATCH, 'RW'));
    expect(_parseNotice(SYS_TOPICS.TOKEN_INVALID_NOTICE, invalid)).toEqual({ kind: 'invalid', notice: { code: 4, reason: 'resource-mismatch', type: 'RW' } });
    const expiring = new TextEncoder().encode(JSON.stringify(_formatExpireNotice(1_000, 'R')));
    expect(_parseNotice(SYS_TOPICS.TOKEN_EXPIRE_NOTICE, expiring)).toEqual({ kind: 'expiring', notice: { expireTime: 1_000, type: 'R' } });
    expect(_parseNotice('$SYS/tokenExprireNotice', '{"exprireTime":7}')).toEqual({ kind: 'expiring', notice: { expireTime: 7 } });
    expect(_parseNotice(SYS_TOPICS.TOKEN_INVALID_NOTICE, 'not json')).toEqual({ kind: 'invalid', notice: { code: NaN, reason: 'unknown' } });
    expect(_parseNotice('fleet/a', '{}')).toBeUndefined();
    expect(Object.keys(TOKEN_INVALID_CODES).length).toBe(Object.keys(TOKEN_INVALID_REASONS).length);
    // The reasons' keys are written out as numbers: each is one of the codes, the reason its name.
    for (const [name, code] of Object.entries(TOKEN_INVALID_CODES)) {
      expect(TOKEN_INVALID_REASONS[code]).toBe(name === 'INVALID_ACCOUNT' ? 'invalid-account-permission' : name.toLowerCase().replaceAll('_', '-'));
    }
  });

  it('reads an upload with the key spelt "token" (current documentation) or "Token" (older), "token" first', () => {
    expect(_parseUploadToken(_formatUploadToken('abc', 'RW'))).toEqual({ token: 'abc', type: 'RW' });
    expect(_parseUploadToken('{"Token":"abc","type":"W"}')).toEqual({ token: 'abc', type: 'W' });
    expect(_parseUploadToken('{"token":"new","Token":"old","type":"R"}')).toEqual({ token: 'new', type: 'R' });
    expect(_parseUploadToken('{"token":"abc","type":"rw"}')).toEqual({ token: 'abc' });
    expect(_parseUploadToken('{"token":5}')).toEqual({});
    expect(_parseUploadToken('token=abc')).toEqual({});
  });

  it('reads enableOrderMsg as the demos send it', () => {
    expect(_parseOrderMsg('{"order":"true"}')).toBe(true);
    expect(_parseOrderMsg('{"order":true}')).toBe(true);
    expect(_parseOrderMsg('{"order":"false"}')).toBe(false);
    expect(_parseOrderMsg('{}')).toBeUndefined();
    expect(_parseOrderMsg('order')).toBeUndefined();
  });
});

describe('token rules', () => {
  it('maps each Password type to the actions it needs, and actions to a type', () => {
    expect(_TYPE_ACTIONS).toEqual({ R: ['R'], W: ['W'], RW: ['R', 'W'] });
    expect([tokenTypeOf('R'), tokenTypeOf('W'), tokenTypeOf('R,W')]).toEqual(['R', 'W', 'RW']);
    // Own properties only: an inherited name is not an action.
    expect(() => tokenTypeOf('constructor' as never)).toThrow(ApsaraMqttAuthError);
  });
  it('reads actions as configs write them and writes them the OpenAPI way', () => {
    expect(_formatActions(_parseActions('W, R')!)).toBe('R,W');
    expect(_formatActions(_parseActions(['W'])!)).toBe('W');
    for (const bad of ['', 'RW', 'R,R', 'X', 5]) expect(_parseActions(bad)).toBeUndefined();
  });
});

describe('topics', () => {
  it('takes P2P topics apart and builds them', () => {
    expect(p2pTopic('fleet', 'GID_a@@@b')).toBe('fleet/p2p/GID_a@@@b');
    expect(parseP2pTopic('fleet/p2p/GID_a@@@b')).toEqual({ parent: 'fleet', target: 'GID_a@@@b' });
    expect(parseP2pTopic('fleet/x/p2p/GID_a@@@b')).toBeUndefined();
    expect(parentTopic('fleet/a/b')).toBe('fleet');
    expect(parentTopic('fleet')).toBe('fleet');
  });

  it.each([
    ['fleet/a-1/b_2', false, undefined],
    ['fleet/p2p/GID_demo@@@device-1', false, undefined],
    [`${'p'.repeat(56)}/p2p/GID_${'d'.repeat(56)}@@@x`, false, undefined],
    [`fleet/p2p/GID_${'d'.repeat(57)}@@@x`, false, 'names a client id of 65 characters (at most 64)'],
    ['x'.repeat(MAX_TOPIC_LENGTH), false, undefined],
    ['x'.repeat(MAX_TOPIC_LENGTH + 1), false, 'must be at most 64 characters (it has 65)'],
    ['fleet/a.b', false, 'level "a.b" may contain only letters, digits, "-" and "_"'],
    ['fleet/+', false, 'level "+" may contain only letters, digits, "-" and "_"'],
    ['fleet/+', true, undefined],
    ['fleet/#', true, undefined],
    ['fleet/#/x', true, '"#" may only be the last level'],
    ['#', true, 'must start with a parent topic, not a wildcard'],
    ['$SYS/x', false, 'level "$SYS" may contain only letters, digits, "-" and "_"'],
    ['', false, 'must be a non-empty topic'],
  ])('%j (filter: %s) → %s', (topic, filter, problem) => {
    expect(topicProblem(topic, { filter })).toBe(problem);
  });
});

describe('limits', () => {
  it('are the documented numbers', () => {
    expect({ MAX_PAYLOAD_BYTES, MAX_PACKET_BYTES, MAX_KEEPALIVE_SECONDS, TOPIC_ALIAS_MAXIMUM }).toEqual({
      MAX_PAYLOAD_BYTES: 65_536,
      MAX_PACKET_BYTES: 131_072,
      MAX_KEEPALIVE_SECONDS: 480,
      TOPIC_ALIAS_MAXIMUM: 30,
    });
  });

  it('the recommended keep-alive (90 s) is what connect options default to, under the 8-minute cap', () => {
    expect(RECOMMENDED_KEEPALIVE_SECONDS).toBe(90);
    expect(CONNECT_DEFAULTS.keepalive).toBe(RECOMMENDED_KEEPALIVE_SECONDS);
    expect(RECOMMENDED_KEEPALIVE_SECONDS).toBeLessThan(MAX_KEEPALIVE_SECONDS);
  });
});
