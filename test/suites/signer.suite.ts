import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOC_VECTOR, RFC2202, UTF8_VECTORS, base64, fromHex, toHex, utf8 } from '../helpers/vectors.js';
import { SECRET, type Api, type BackendName } from './api.js';
import { renderings } from './errors.suite.js';

type Signer = Awaited<ReturnType<Api['createSigner']>>;

/**
 * The batch signer on every backend the runtime has, against the same known answers as the async
 * builders. `inspect` is Node's util.inspect where available, for the leak checks.
 */
export function signerSuite(api: Api, backend: BackendName, inspect?: (v: unknown) => string): void {
  // `node:crypto` is reachable exactly where the default HMAC backend is `node`.
  const hasNodeCrypto = backend === 'node';
  const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
  const backends = hasNodeCrypto ? (['node', 'noble'] as const) : (['noble'] as const);

  describe('createSigner', () => {
    it(`defaults to ${hasNodeCrypto ? 'node:crypto' : 'noble'} here`, async () => {
      expect((await api.createSigner({ accessKeyId, accessKeySecret, instanceId })).backend).toBe(hasNodeCrypto ? 'node' : 'noble');
    });

    if (!hasNodeCrypto) {
      it('refuses backend "node" where node:crypto is not reachable', async () => {
        await expect(api.createSigner({ accessKeyId, accessKeySecret, instanceId, backend: 'node' })).rejects.toMatchObject({
          code: 'ERR_HMAC_UNAVAILABLE',
          field: 'backend',
        });
      });
    }

    describe.each(backends)('backend %s', (backend) => {
      const signer = (secret: string | Uint8Array = accessKeySecret, mode?: 'signature' | 'device'): Promise<Signer> =>
        api.createSigner({ accessKeyId, accessKeySecret: secret, instanceId, backend, ...(mode ? { mode } : {}) });

      it('signs the documentation vector, synchronously', async () => {
        const s = await signer();
        expect(s.backend).toBe(backend);
        const result = s.sign(clientId);
        expect(result).not.toBeInstanceOf(Promise);
        expect(result).toEqual({ username, password });
      });

      it('device mode: the DeviceCredential username, the same password', async () => {
        expect((await signer(accessKeySecret, 'device')).sign(clientId)).toEqual({ username: `DeviceCredential|${accessKeyId}|${instanceId}`, password });
      });

      it.each(RFC2202)('digest: RFC 2202 $name', async ({ key, data, digest }) => {
        expect(toHex((await signer(fromHex(key))).digest(fromHex(data)))).toBe(digest);
      });

      it.each(UTF8_VECTORS)('digest of UTF-8 strings: $name', async ({ key, message, base64: expected }) => {
        const mac = (await signer(key)).digest(message);
        expect(mac).toBeInstanceOf(Uint8Array);
        expect(base64(mac)).toBe(expected);
      });

      it('a long non-ASCII secret signs client ids as signatureCredentials does', async () => {
        const secret = 'ü'.repeat(100);
        const s = await signer(secret);
        for (const id of ['GID_Test@@@0001', 'GID-a_b@@@x', `GID_${'g'.repeat(3)}@@@${'d'.repeat(54)}`]) {
          expect(s.sign(id)).toEqual(await api.signatureCredentials({ accessKeyId, accessKeySecret: secret, instanceId, clientId: id }));
        }
      });

      it('a thousand distinct client ids, each as signatureCredentials signs it', async () => {
        const s = await signer(SECRET);
        const ids = Array.from({ length: 1000 }, (_, i) => `GID_fleet@@@device-${i}`);
        const batch = ids.map((id) => s.sign(id).password);
        const one = await Promise.all(ids.map(async (id) => (await api.signatureCredentials({ accessKeyId, accessKeySecret: SECRET, instanceId, clientId: id })).password));
        expect(batch).toEqual(one);
        expect(new Set(batch).size).toBe(1000);
      });

      it('keeps its own copy of a secret passed as bytes', async () => {
        const bytes = utf8(accessKeySecret);
        const s = await signer(bytes);
        bytes.fill(0);
        expect(s.sign(clientId).password).toBe(password);
      });

      it('accepts exactly the client ids validateClientId accepts', async () => {
        const s = await signer();
        // Mostly valid characters, sometimes not, at lengths around every limit.
        const unit = fc.oneof({ arbitrary: fc.constantFrom('a', 'Z', '0', '_', '-'), weight: 12 }, { arbitrary: fc.constantFrom('@', '/', ' ', 'é', 'G'), weight: 1 });
        const part = fc.string({ unit, maxLength: 66 });
        const id = fc.oneof(
          part,
          fc.tuple(part, part).map(([g, d]) => `GID_${g}@@@${d}`),
          fc.tuple(part, part).map(([g, d]) => `GID-${g}@@@${d}`),
          fc.tuple(part, part).map(([g, d]) => `${g}@@@${d}`),
          // lengths at the 64-character limits of the GroupId and of the whole id
          fc.tuple(fc.integer({ min: 2, max: 62 }), fc.integer({ min: 0, max: 60 })).map(([g, d]) => `GID_${'g'.repeat(g)}@@@${'d'.repeat(d)}`),
        );
        fc.assert(
          fc.property(id, (candidate) => {
            const valid = api.validateClientId(candidate).valid;
            let signed = true;
            try {
              s.sign(candidate);
            } catch (error) {
              signed = false;
              expect(error).toMatchObject({ code: 'ERR_INVALID_CLIENT_ID' });
            }
            expect(signed).toBe(valid);
          }),
          { numRuns: 500 },
        );
      });

      it.each([
        ['GID_Test0001', 'clientId'],
        ['GID_Test@@@a/b', 'deviceId'],
        [`GID_Test@@@${'x'.repeat(60)}`, 'clientId'],
        [42, 'clientId'],
      ])('refuses %s, naming %s', async (id, field) => {
        const s = await signer();
        expect(() => s.sign(id as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CLIENT_ID', field }));
      });

      it('names the message when digest gets neither a string nor bytes', async () => {
        const s = await signer();
        expect(() => s.digest(7 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'message' }));
      });

      it('holds no secret in any rendering of the signer', async () => {
        const s = await signer(SECRET);
        for (const text of [JSON.stringify(s), String(s), inspect ? inspect(s) : '', Object.values(s).join(' ')]) expect(text).not.toContain(SECRET);
      });
    });

    it.each([
      ['options missing', undefined, 'options'],
      ['accessKeyId with |', { accessKeyId: 'a|b', accessKeySecret: SECRET, instanceId }, 'accessKeyId'],
      ['secret empty', { accessKeyId, accessKeySecret: '', instanceId }, 'accessKeySecret'],
      ['secret empty bytes', { accessKeyId, accessKeySecret: new Uint8Array(0), instanceId }, 'accessKeySecret'],
      ['secret a number', { accessKeyId, accessKeySecret: 12345, instanceId }, 'accessKeySecret'],
      ['instanceId missing', { accessKeyId, accessKeySecret: SECRET }, 'instanceId'],
      ['mode unknown', { accessKeyId, accessKeySecret: SECRET, instanceId, mode: 'token' }, 'mode'],
      ['backend unknown', { accessKeyId, accessKeySecret: SECRET, instanceId, backend: 'webcrypto' }, 'backend'],
    ])('%s → ERR_INVALID_ARGUMENT on %s, no secret in any rendering', async (_name, options, field) => {
      const error = await api.createSigner(options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(api.ApsaraMqttAuthError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field });
      for (const text of renderings(error, inspect)) expect(text).not.toContain(SECRET);
    });
  });
}
