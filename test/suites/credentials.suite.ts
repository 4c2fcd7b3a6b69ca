import { describe, expect, it } from 'vitest';
import { DOC_VECTOR, fromUtf8 } from '../helpers/vectors.js';
import { backendsOf, type Api, type BackendName } from './api.js';

export function credentialsSuite(api: Api, backend: BackendName): void {
  const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;

  describe.each(backendsOf(api, backend))('HMAC backend: $name', ({ hmac }) => {
    const withHmac = hmac ? { hmac } : {};

    it('signatureCredentials matches the documentation vector', async () => {
      expect(await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId, ...withHmac })).toEqual({ username, password });
    });

    it('deviceCredentials signs the same way under the DeviceCredential username', async () => {
      expect(
        await api.deviceCredentials({ deviceAccessKeyId: 'dak-1', deviceAccessKeySecret: accessKeySecret, instanceId, clientId, ...withHmac }),
      ).toEqual({ username: `DeviceCredential|dak-1|${instanceId}`, password });
    });

    it('customCredentials SIGNED signs the client id with the identity secret', async () => {
      expect(await api.customCredentials({ username: 'dashboard-user', secret: accessKeySecret, clientId, signMode: 'SIGNED', ...withHmac })).toEqual({
        username: 'dashboard-user',
        password,
      });
    });

    it('a long non-ASCII secret (over one block) signs as Node does', async () => {
      // Expected: Node's createHmac('sha1', 'ü'.repeat(100)).update('GID_Test@@@0001').digest('base64').
      const creds = await api.signatureCredentials({ accessKeyId, accessKeySecret: 'ü'.repeat(100), instanceId, clientId, ...withHmac });
      expect(creds.password).toBe('WoRpMDsiLcQtkTp6Ytx74hW5JkE=');
    });
  });

  it('accepts a caller-supplied synchronous adapter and passes it UTF-8 bytes', async () => {
    const seen: [Uint8Array, Uint8Array][] = [];
    const creds = await api.signatureCredentials({
      accessKeyId,
      accessKeySecret: 'κλειδί',
      instanceId,
      clientId,
      hmac: (key, message) => {
        seen.push([key, message]);
        return new Uint8Array(20).fill(0xff);
      },
    });
    expect(creds.password).toBe('//////////////////////////8=');
    expect(fromUtf8(seen[0]![0])).toBe('κλειδί');
    expect(fromUtf8(seen[0]![1])).toBe(clientId);
  });

  it('customCredentials ORIGIN sends the secret itself', async () => {
    expect(await api.customCredentials({ username: 'u1', secret: 'plain-secret', clientId, signMode: 'ORIGIN' })).toEqual({
      username: 'u1',
      password: 'plain-secret',
    });
  });

  describe('tokenCredentials', () => {
    const base = { accessKeyId, instanceId };
    it.each([
      [{ R: '123' }, 'R|123'],
      [{ R: '123', W: 'abcd' }, 'R|123|W|abcd'],
      [{ W: 'abcd', R: '123' }, 'R|123|W|abcd'],
      [{ RW: 'tok' }, 'RW|tok'],
      [{ RW: 'c', W: 'b', R: 'a' }, 'R|a|W|b|RW|c'],
    ])('%j → %s', (tokens, expected) => {
      expect(api.tokenCredentials({ ...base, tokens })).toEqual({ username: `Token|${accessKeyId}|${instanceId}`, password: expected });
    });

    it('is synchronous', () => {
      expect(api.tokenCredentials({ ...base, tokens: { R: 'x' } })).not.toBeInstanceOf(Promise);
    });
  });

  describe('client ids', () => {
    it.each([
      ['GID_Test@@@0001', 'GID_Test', '0001'],
      ['GID-a_b-c@@@dev_1-2', 'GID-a_b-c', 'dev_1-2'],
      ['GID_' + 'g'.repeat(3) + '@@@' + 'd'.repeat(54), 'GID_ggg', 'd'.repeat(54)],
    ])('%s parses and formats back', (id, groupId, deviceId) => {
      expect(api.parseClientId(id)).toEqual({ groupId, deviceId });
      expect(api.formatClientId(groupId, deviceId)).toBe(id);
      expect(api.validateClientId(id)).toEqual({ valid: true, groupId, deviceId, problems: [] });
    });

    it.each([
      ['GID_Test0001', 'clientId', 'separator'],
      ['GID_Test@@@a@@@b', 'clientId', 'separator'],
      ['GID_Test@@@', 'deviceId', 'empty'],
      ['XID_Test@@@1', 'groupId', 'group-prefix'],
      ['GID_ab@@@1', 'groupId', 'group-length'],
      ['GID_Test@@@dev/1', 'deviceId', 'chars'],
      ['GID_Te:st@@@1', 'groupId', 'chars'],
      ['GID_Test@@@dev%1', 'deviceId', 'chars'],
      ['GID_Test@@@dév', 'deviceId', 'chars'],
      ['GID_Test@@@' + 'd'.repeat(54), 'clientId', 'length'],
    ])('%s is refused: %s breaks %s', (id, field, rule) => {
      const result = api.validateClientId(id);
      expect(result.valid).toBe(false);
      expect(result.problems).toContainEqual(expect.objectContaining({ field, rule }));
      expect(() => api.parseClientId(id)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CLIENT_ID' }));
    });

    it('reports every broken rule at once', () => {
      const rules = api.validateClientId('X@@@a b').problems.map((p) => p.rule);
      expect(rules).toEqual(['group-prefix', 'group-length', 'chars']);
    });

    it('formatClientId names the part at fault', () => {
      expect(() => api.formatClientId('GID_Test', 'a/b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CLIENT_ID', field: 'deviceId' }));
      expect(() => api.formatClientId('Test', 'ab')).toThrow(expect.objectContaining({ field: 'groupId' }));
      expect(() => api.formatClientId('GID_Test', 'x@@@y')).toThrow(expect.objectContaining({ field: 'deviceId' }));
    });
  });
}
