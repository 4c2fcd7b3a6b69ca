import { describe, expect, it } from 'vitest';
import { DOC_VECTOR, hexOf } from '../helpers/vectors.js';
import { SECRET, backendsOf, type Api } from './api.js';

/** `explainSignature` and `checkCredentials`: the diagnostics behind the CLI's explain/check and the signature page. */
export function diagnosticsSuite(api: Api): void {
  const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
  const base = { accessKeyId, instanceId, clientId };

  describe('explainSignature', () => {
    describe.each(backendsOf(api))('HMAC backend: $name', ({ hmac }) => {
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
      expect(e.parts.find((p) => p.field === 'deviceId')!.problems[0]).toMatch(/deviceId "dev\/1".*"\/"/);
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
    });

    it('checks the AccessKey id and instance id like the builders do, without throwing', async () => {
      const e = await api.explainSignature({ accessKeyId: 'a|b', instanceId: '', clientId, secret: accessKeySecret });
      expect(e.parts[0]).toMatchObject({ field: 'accessKeyId', ok: false });
      expect(e.parts[0]!.problems[0]).toMatch(/"\|"/);
      expect(e.parts[1]).toMatchObject({ field: 'instanceId', ok: false, problems: ['instanceId must not be empty'] });
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

  describe('checkCredentials', () => {
    const check = (over: Partial<Parameters<Api['checkCredentials']>[0]>) =>
      api.checkCredentials({ username, password, secret: accessKeySecret, clientId, mode: 'signature', accessKeyId, instanceId, ...over });
    const statusOf = (r: Awaited<ReturnType<Api['checkCredentials']>>) => Object.fromEntries(r.parts.map((p) => [p.part, p.status]));

    it('matches the documentation vector part by part', async () => {
      const r = await check({});
      expect(r.match).toBe(true);
      expect(statusOf(r)).toEqual({ mode: 'ok', accessKeyId: 'ok', instanceId: 'ok', password: 'ok' });
    });

    it('without expectations, reads mode and ids from the Username and checks the Password only', async () => {
      const r = await api.checkCredentials({ username, password, secret: accessKeySecret, clientId });
      expect(r).toMatchObject({ match: true, mode: 'signature' });
      expect(statusOf(r)).toEqual({ mode: 'unchecked', accessKeyId: 'unchecked', instanceId: 'unchecked', password: 'ok' });
    });

    it.each([
      ['mode', { username: `Token|${accessKeyId}|${instanceId}` }],
      ['accessKeyId', { accessKeyId: 'ZZZZZ' }],
      ['instanceId', { instanceId: 'mqtt-other' }],
      ['password', { clientId: 'GID_Test@@@0002' }],
    ] as const)('names %s when only it differs', async (part, over) => {
      const r = await check(over);
      expect(r.match).toBe(false);
      expect(r.parts.filter((p) => p.status === 'differs').map((p) => p.part)).toEqual([part]);
    });

    it('a different client id gets the generic hint', async () => {
      const r = await check({ clientId: 'GID_Test@@@0002' });
      expect(r.parts.at(-1)!.hints.join(' ')).toMatch(/signed a different client id/);
    });

    it('a secret with a trailing newline given here is named as the cause', async () => {
      const r = await check({ secret: accessKeySecret + '\n' });
      expect(r.parts.at(-1)!.hints.join(' ')).toMatch(/without white space at its ends.*trailing newline/);
    });

    it('recognises the common slips by re-signing', async () => {
      const sign = async (key: string, message: string) => (await api.signatureCredentials({ accessKeyId, instanceId, accessKeySecret: key, clientId: message })).password;
      const hex = (await api.explainSignature({ clientId, secret: accessKeySecret })).hmacHex;
      const cases: [string, RegExp][] = [
        [await sign(accessKeySecret + '\n', clientId), /newline after the secret/],
        [await sign(accessKeySecret + '\r\n', clientId), /CR LF after the secret/],
        [hex, /hex digest/],
        [password.replace(/=$/, ''), /base64url or lacks its "=" padding/],
        [accessKeySecret, /the secret itself/],
        ['not base64!', /not Base64/],
      ];
      for (const [pw, hint] of cases) {
        const r = await check({ password: pw });
        expect(r.parts.at(-1)!.hints.join(' '), pw).toMatch(hint);
      }
    });

    it('names key/message swaps, AccessKey ID as key, and partial messages', async () => {
      const mac = async (key: string, message: string) => (await api.explainSignature({ clientId: message, secret: key })).hmacBase64;
      const cases: [string, RegExp][] = [
        [await mac(clientId, accessKeySecret), /key and message are swapped/],
        [await mac(accessKeyId, clientId), /AccessKey ID as the key/],
        [await mac(accessKeySecret, 'GID_Test'), /GroupId only/],
        [await mac(accessKeySecret, '0001'), /DeviceId only/],
        [await mac(accessKeySecret, username), /over the Username/],
      ];
      for (const [pw, hint] of cases) expect((await check({ password: pw })).parts.at(-1)!.hints.join(' ')).toMatch(hint);
    });

    it('a right digest in hex is "the wrong text form", not a different signature', async () => {
      const { hmacHex } = await api.explainSignature({ clientId, secret: accessKeySecret });
      const last = (await check({ password: hmacHex })).parts.at(-1)!;
      expect(last.detail).toMatch(/right digest in the wrong text form/);
    });

    it('token mode: checks the layout, and the tokens when given', async () => {
      const tokenUser = `Token|${accessKeyId}|${instanceId}`;
      const ok = await api.checkCredentials({ username: tokenUser, password: `R|${SECRET}|W|t2`, tokens: { R: SECRET, W: 't2' } });
      expect(ok.match).toBe(true);
      const unchecked = await api.checkCredentials({ username: tokenUser, password: `RW|${SECRET}` });
      expect(statusOf(unchecked).password).toBe('unchecked');
      const order = await api.checkCredentials({ username: tokenUser, password: `W|t2|R|${SECRET}`, tokens: { R: SECRET, W: 't2' } });
      expect(order.parts.at(-1)!.hints[0]).toMatch(/another order: write them as R, W/);
      const bad = await api.checkCredentials({ username: tokenUser, password: `X|${SECRET}` });
      expect(bad.match).toBe(false);
      for (const r of [ok, unchecked, order, bad]) expect(JSON.stringify(r)).not.toContain(SECRET);
    });

    it('custom identities: SIGNED and ORIGIN', async () => {
      expect((await api.checkCredentials({ username: 'dash', password, clientId, secret: accessKeySecret })).match).toBe(true);
      const origin = await api.checkCredentials({ username: 'dash', password: SECRET, secret: SECRET, signMode: 'ORIGIN' });
      expect(origin.match).toBe(true);
      const originBad = await api.checkCredentials({ username: 'dash', password: SECRET + '\n', secret: SECRET, signMode: 'ORIGIN' });
      expect(originBad.parts.at(-1)!.hints[0]).toMatch(/white space/);
    });

    it('a malformed Username is its own differing part', async () => {
      const r = await check({ username: `signature|${accessKeyId}` });
      expect(r.parts.find((p) => p.part === 'username')!.detail).toMatch(/"Signature".*3/);
      expect(r.match).toBe(false);
    });

    it('never puts the secret or the password in its result', async () => {
      const r = await api.checkCredentials({ username, password: SECRET + 'x', secret: SECRET, clientId, mode: 'signature' });
      expect(JSON.stringify(r)).not.toContain(SECRET);
    });

    it('refuses missing inputs, naming the field', async () => {
      await expect(api.checkCredentials({ username, password, clientId })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'secret' });
      await expect(api.checkCredentials({ username, password, secret: 'x' })).rejects.toMatchObject({ field: 'clientId' });
      await expect(api.checkCredentials({ username, password: '', secret: 'x', clientId })).rejects.toMatchObject({ field: 'password' });
    });
  });
}
