import { describe, expect, it } from 'vitest';
import { DOC_VECTOR, hexOf } from '../helpers/vectors.js';
import { SECRET, backendsOf, type Api, type BackendName } from './api.js';

/** `explainSignature`: what the CLI's `explain` and the signature-check page show. */
export function explainSuite(api: Api, backend: BackendName): void {
  const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
  const base = { accessKeyId, instanceId, clientId };

  describe('explainSignature', () => {
    describe.each(backendsOf(api, backend))('HMAC backend: $name', ({ hmac }) => {
      it('reports the bytes, lengths and digest of the documentation vector', async () => {
        const e = await api.explainSignature({ ...base, secret: accessKeySecret, ...(hmac ? { hmac } : {}) });
        expect(e.username).toBe(username);
        expect(e.hmacBase64).toBe(password);
        // printf GID_Test@@@0001 | openssl dgst -sha1 -hmac XXXXX
        expect(e.hmacHex).toBe('bc8d34f48649655191c01c19be76f08dfb97c553');
        expect(e.message).toEqual({ text: clientId, utf8Hex: hexOf(clientId), byteLength: 15 });
        expect(e.key).toEqual({ byteLength: 5, characters: 5 });
        expect(e.backend).toBe(hmac ? 'caller' : api.hmacBackend());
        expect(e.valid).toBe(true);
        expect(e.parts.map((p) => [p.field, p.value, p.ok])).toEqual([
          ['accessKeyId', accessKeyId, true],
          ['instanceId', instanceId, true],
          ['clientId', clientId, true],
          ['groupId', 'GID_Test', true],
          ['deviceId', '0001', true],
          ['accessKeySecret', undefined, true],
        ]);
      });
    });

    it('signs an invalid client id anyway and reports every rule it breaks, per part', async () => {
      const e = await api.explainSignature({ secret: accessKeySecret, clientId: 'GID@@@dev/1' });
      expect(e.username).toBeUndefined();
      expect(e.hmacBase64).toMatch(/^[A-Za-z0-9+/]{27}=$/);
      expect(e.valid).toBe(false);
      const group = e.parts.find((p) => p.field === 'groupId')!;
      expect(group.problems).toHaveLength(2);
      expect(e.parts.find((p) => p.field === 'deviceId')!.problems[0]).toMatch(/^deviceId has "\/" at 3/);
    });

    it('counts UTF-8 bytes, flags white space at the ends of the secret, and never returns the secret', async () => {
      const secret = ` ${SECRET}é\n`;
      const e = await api.explainSignature({ mode: 'device', accessKeyId: 'dak', instanceId, clientId, secret });
      expect(e.username).toBe(`DeviceCredential|dak|${instanceId}`);
      expect(e.key).toEqual({ byteLength: secret.length + 1, characters: secret.length });
      const part = e.parts.find((p) => p.field === 'deviceAccessKeySecret')!;
      expect(part.value).toBeUndefined();
      expect(part.problems.join(' ')).toMatch(/starts with white space.*ends with white space.*non-ASCII/);
      expect(JSON.stringify(e)).not.toContain(SECRET);
      // Characters are code points: one emoji is one character, four UTF-8 bytes (two UTF-16 units).
      expect((await api.explainSignature({ clientId, secret: '🔑' })).key).toEqual({ byteLength: 4, characters: 1 });
    });

    it('checks the AccessKey id and instance id like the builders do, without throwing', async () => {
      const e = await api.explainSignature({ accessKeyId: 'a|b', instanceId: '', clientId, secret: accessKeySecret });
      expect(e.parts[0]).toMatchObject({ field: 'accessKeyId', ok: false });
      expect(e.parts[0]!.problems[0]).toMatch(/"\|"/);
      expect(e.parts[1]).toMatchObject({ field: 'instanceId', ok: false, problems: ['instanceId must be a non-empty string (got an empty string)'] });
    });

    it('custom mode uses the username as given', async () => {
      const e = await api.explainSignature({ mode: 'custom', username: 'dash', clientId, secret: accessKeySecret });
      expect(e).toMatchObject({ username: 'dash', hmacBase64: password, valid: true });
    });

    it('refuses wrong types and token mode, naming the field', async () => {
      await expect(api.explainSignature({ clientId, secret: 5 as unknown as string })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'accessKeySecret' });
      await expect(api.explainSignature({ clientId, secret: 'x', mode: 'token' as 'signature' })).rejects.toMatchObject({ field: 'mode' });
    });
  });
}
