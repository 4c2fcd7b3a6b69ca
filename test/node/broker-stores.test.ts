/**
 * The broker's token store, device store, authenticator and manual clock, without sockets; and
 * that none of them shows a secret in `util.inspect` or `JSON.stringify`.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signatureCredentials } from '../../src/index.js';
import { Authenticator } from '../../src/broker/auth/authenticator.js';
import { customAuthFromConfig } from '../../src/broker/auth/custom-mode.js';
import { CustomAuthStore } from '../../src/broker/custom-auth-store.js';
import { parseTokenPassword } from '../../src/protocol/token-password.js';
import { _runAt, createManualClock } from '../../src/broker/broker-clock.js';
import { DeviceStore, _deviceCredentialBody } from '../../src/broker/devices.js';
import { TokenStore } from '../../src/broker/tokens.js';
import { TOKEN_INVALID_CODES } from '../../src/protocol/sys-topics.js';

const T0 = Date.UTC(2026, 10, 1);
const DAY = 24 * 3600_000;
const SECRET = 'S3cr3t-DoNotLeak-7f1e';
const show = (v: unknown) => inspect(v, { depth: 10, showHidden: true }) + JSON.stringify(v);

function tokenStore() {
  const clock = createManualClock(T0);
  return { clock, store: new TokenStore({ instanceId: 'mqtt-x', clock }) };
}

describe('TokenStore', () => {
  it('applies tokens with sorted resources and reports them through describe/query', () => {
    const { store } = tokenStore();
    const token = store.apply({ resources: 'b/#,a/+', actions: 'W,R', expireTime: T0 + 3600_000 });
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{27}$/);
    expect(store.describe(token)).toEqual({ resources: ['a/+', 'b/#'], actions: 'R,W', expireTime: T0 + 3600_000, createTime: T0, revoked: false });
    expect(store.query(token)).toBe(true);
    expect(store.query('unknown')).toBe(false);
  });

  it('enforces ApplyToken expiry rules: ≥ 60 s ahead, longer than 30 days cut to 30 days', () => {
    const { store } = tokenStore();
    expect(() => store.apply({ resources: 'a', actions: 'R', expireTime: T0 + 59_999 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'expireTime' }));
    const long = store.apply({ resources: 'a', actions: 'R', expireTime: T0 + 90 * DAY });
    expect(store.describe(long)!.expireTime).toBe(T0 + 30 * DAY);
  });

  it.each([
    [{ resources: '', actions: 'R' }, 'resources[0]'],
    [{ resources: [], actions: 'R' }, 'resources'],
    [{ resources: 'a/#/b', actions: 'R' }, 'resources[0]'],
    [{ resources: Array.from({ length: 101 }, (_, i) => `t${i}`), actions: 'R' }, 'resources'],
    [{ resources: 'a', actions: 'RW' }, 'actions'],
    [{ resources: 'a', actions: 'R', accessKeyId: 'a|b' }, 'accessKeyId'],
  ])('refuses %j naming %s', (options, field) => {
    const { store } = tokenStore();
    expect(() => store.apply({ ...options, expireTime: T0 + 3600_000 } as never)).toThrow(expect.objectContaining({ field }));
  });

  it('checks tokens with the documented codes', () => {
    const { store, clock } = tokenStore();
    const rw = store.apply({ resources: 'a', actions: 'R,W', expireTime: T0 + 3600_000, accessKeyId: 'AK1' });
    const r = store.apply({ resources: 'a', actions: 'R', expireTime: T0 + 120_000 });
    const code = (token: string, type: 'R' | 'W' | 'RW', accessKeyId = 'AK1') => {
      const check = store.check(token, { type, accessKeyId });
      return check.valid ? 0 : check.code;
    };
    expect(code(rw, 'RW')).toBe(0);
    expect(code(rw, 'R')).toBe(0);
    expect(code(r, 'W')).toBe(TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH);
    expect(code(rw, 'RW', 'AK2')).toBe(TOKEN_INVALID_CODES.INVALID_ACCOUNT);
    expect(code('made-up', 'RW')).toBe(TOKEN_INVALID_CODES.FORGED);
    expect(code(rw.slice(0, -1) + (rw.endsWith('A') ? 'B' : 'A'), 'RW')).toBe(TOKEN_INVALID_CODES.INVALID_SIGNATURE);
    clock.advance(120_000);
    expect(code(r, 'R')).toBe(TOKEN_INVALID_CODES.EXPIRED);
    expect(store.query(r)).toBe(false);
    const revoked: string[] = [];
    const off = store.onRevoke((t) => revoked.push(t));
    expect(store.revoke(rw)).toBe(true);
    expect(store.revoke(rw)).toBe(true);
    expect(store.revoke('unknown')).toBe(false);
    off();
    expect(revoked).toEqual([rw]);
    expect(code(rw, 'RW')).toBe(TOKEN_INVALID_CODES.REVOKED);
  });

  it('tells any change to a token of ours (even in the unused bits of its last character) as an invalid signature', () => {
    const { store } = tokenStore();
    for (let i = 0; i < 200; i++) {
      const token = store.apply({ resources: 'a', actions: 'R', expireTime: T0 + 3600_000 });
      const last = token.at(-1)!;
      // Base64 neighbours: 'A'..'D' differ from each other only in the low bits.
      const flipped = token.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) ^ 1);
      if (!/^[A-Za-z0-9_-]$/.test(flipped.at(-1)!)) continue;
      expect(store.check(flipped, { type: 'R' })).toMatchObject({ valid: false, code: TOKEN_INVALID_CODES.INVALID_SIGNATURE });
    }
  });

  it('narrows an R,W token declared R to reading', () => {
    const { store } = tokenStore();
    const rw = store.apply({ resources: 'a', actions: 'R,W', expireTime: T0 + 3600_000 });
    const check = store.check(rw, { type: 'R' });
    expect(check.valid && [...check.permissions.actions]).toEqual(['R']);
  });

  it('takes configured tokens with any expiry, and never shows a token', () => {
    const { store } = tokenStore();
    store.add({ token: SECRET, resources: 'a', actions: 'R', expireTime: T0 - 1 });
    expect(store.check(SECRET, { type: 'R' })).toMatchObject({ valid: false, code: 2 });
    expect(() => store.add({ token: 'a|b', resources: 'a', actions: 'R', expireTime: T0 })).toThrow(expect.objectContaining({ field: 'token' }));
    expect(show(store)).not.toContain(SECRET);
  });
});

describe('DeviceStore', () => {
  it('registers, gets, refreshes and unregisters credentials with the OpenAPI field names', () => {
    const clock = createManualClock(T0);
    const store = new DeviceStore({ instanceId: 'mqtt-x', clock });
    const first = store.register('GID_dev@@@one');
    expect(first).toMatchObject({ ClientId: 'GID_dev@@@one', InstanceId: 'mqtt-x', CreateTime: T0, UpdateTime: T0 });
    expect(first.DeviceAccessKeyId).toMatch(/^[^|\s]+$/);
    expect(first.DeviceAccessKeySecret.length).toBeGreaterThan(20);
    expect(store.register('GID_dev@@@one').DeviceAccessKeySecret).toBe(first.DeviceAccessKeySecret);
    expect(store._byKeyId(first.DeviceAccessKeyId)).toEqual({ clientId: 'GID_dev@@@one', secret: first.DeviceAccessKeySecret });
    clock.advance(1000);
    const refreshed = store.refresh('GID_dev@@@one');
    expect(refreshed.DeviceAccessKeyId).toBe(first.DeviceAccessKeyId);
    expect(refreshed.DeviceAccessKeySecret).not.toBe(first.DeviceAccessKeySecret);
    expect(refreshed.UpdateTime).toBe(T0 + 1000);
    expect(store.get('GID_dev@@@one')!.DeviceAccessKeySecret).toBe(refreshed.DeviceAccessKeySecret);
    expect(store.unregister('GID_dev@@@one')).toBe(true);
    expect(store.unregister('GID_dev@@@one')).toBe(false);
    expect(store.get('GID_dev@@@one')).toBeUndefined();
    expect(store._byKeyId(first.DeviceAccessKeyId)).toBeUndefined();
    expect(() => store.refresh('GID_dev@@@one')).toThrow(expect.objectContaining({ field: 'clientId' }));
    expect(() => store.register('bad')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'clientId' }));
  });

  it('hides secrets from inspect and JSON, but hands them over in the response body helper', () => {
    const store = new DeviceStore({ instanceId: 'mqtt-x' });
    const record = store.add({ clientId: 'GID_dev@@@two', deviceAccessKeyId: 'Dev2', deviceAccessKeySecret: SECRET });
    expect(record.DeviceAccessKeySecret).toBe(SECRET);
    expect(show(record)).not.toContain(SECRET);
    expect(show({ ...record })).not.toContain(SECRET);
    expect(show(store)).not.toContain(SECRET);
    expect(_deviceCredentialBody(record).DeviceAccessKeySecret).toBe(SECRET);
    expect(() => store.add({ clientId: 'GID_dev@@@three', deviceAccessKeyId: 'Dev2', deviceAccessKeySecret: 'x' })).toThrow(
      expect.objectContaining({ field: 'deviceAccessKeyId' }),
    );
  });
});

describe('Authenticator', () => {
  const tokens = new TokenStore({ instanceId: 'mqtt-x' });
  const devices = new DeviceStore({ instanceId: 'mqtt-x' });
  const auth = new Authenticator({
    instanceId: 'mqtt-x',
    accessKeys: [{ accessKeyId: 'AK', accessKeySecret: SECRET }],
    customAuth: customAuthFromConfig({ customIdentities: [{ username: 'Signature|AK|mqtt-x', secret: 'custom', signMode: 'ORIGIN' }] }),
    devices,
    tokens,
  });

  it('verifies a Signature password made by the SDK, and says why others fail without leaking', async () => {
    const clientId = 'GID_abc@@@b';
    const good = await signatureCredentials({ accessKeyId: 'AK', accessKeySecret: SECRET, instanceId: 'mqtt-other', clientId });
    const results = [
      await auth.authenticate(`Signature|AK|mqtt-x`, 'custom', clientId),
      await auth.authenticate(`Signature|AK|mqtt-other`, good.password, clientId),
      await auth.authenticate(`Signature|AK`, good.password, clientId),
      await auth.authenticate(`Other|AK|mqtt-x`, good.password, clientId),
      await auth.authenticate(`Signature|AK|mqtt-x`, undefined, clientId),
      await auth.authenticate(undefined, 'x', clientId),
      await auth.authenticate(`Signature|AK|mqtt-x`, 'x', 'bad id'),
    ];
    // A registered custom username wins over the Mode|Id|Instance reading.
    expect(results[0]).toMatchObject({ ok: true, identity: { mode: 'Custom' } });
    expect(results.slice(1).map((r) => !r.ok && r.kind)).toEqual(['not-authorized', 'bad-credentials', 'bad-credentials', 'bad-credentials', 'bad-credentials', 'bad-client-id']);
    expect(show(results) + show(auth)).not.toContain(SECRET);
  });

  it('refuses a bad configuration naming the field, without echoing a secret', () => {
    const make = (accessKeys: unknown) => () => new Authenticator({ instanceId: 'x', accessKeys: accessKeys as never, devices, tokens, customAuth: new CustomAuthStore() });
    expect(make([{ accessKeyId: 'A', accessKeySecret: '' }])).toThrow(expect.objectContaining({ field: 'accessKeys[0].accessKeySecret' }));
    expect(make([{ accessKeyId: 'A B', accessKeySecret: SECRET }])).toThrow(expect.objectContaining({ field: 'accessKeys[0].accessKeyId' }));
    expect(make([{ accessKeyId: 'A', accessKeySecret: SECRET }, { accessKeyId: 'A', accessKeySecret: SECRET }])).toThrow(
      expect.objectContaining({ field: 'accessKeys[1].accessKeyId' }),
    );
    expect(make([{ accessKeyId: 'A', accessKeySecret: SECRET, permissions: { resources: 'a/#/b', actions: 'R' } }])).toThrow(
      expect.objectContaining({ field: 'accessKeys[0].permissions.resources[0]' }),
    );
    try {
      make([{ accessKeyId: 'A', accessKeySecret: 5 }])();
    } catch (error) {
      expect(show(error)).not.toContain(SECRET);
    }
  });

  it('parses token passwords as type|token pairs', () => {
    expect(parseTokenPassword('R|a|W|b')).toEqual({ tokens: { R: 'a', W: 'b' }, types: ['R', 'W'], problems: [] });
    for (const bad of ['R', 'R|', 'X|a', 'R|a|R|b', 'R|a|W']) expect(parseTokenPassword(bad).problems).not.toEqual([]);
  });
});

describe('manual clock', () => {
  it('runs due timers in order when advanced, and re-arms long waits', () => {
    const clock = createManualClock(1000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('b@30'), 30);
    clock.setTimeout(() => ran.push('a@10'), 10);
    const c = clock.setTimeout(() => ran.push('cancelled'), 20);
    clock.clearTimeout(c);
    clock.advance(25);
    expect(ran).toEqual(['a@10']);
    clock.advance(5);
    expect(ran).toEqual(['a@10', 'b@30']);
    expect(() => clock.set(0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'time' }));

    const far = clock.now() + 40 * DAY;
    let fired = 0;
    _runAt(far, () => fired++, clock);
    clock.advance(30 * DAY);
    expect(fired).toBe(0);
    clock.advance(10 * DAY);
    expect(fired).toBe(1);
    expect(clock.pending()).toBe(0);
    const cancel = _runAt(clock.now() + 5, () => fired++, clock);
    cancel();
    clock.advance(10);
    expect(fired).toBe(1);
  });
});
