import { describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../helpers/vectors.js';
import { SECRET } from './api.js';

/** The server entry under test: the TypeScript sources or `dist/server.js`, in any runtime with `Request`/`Response`. */
export type ServerApi = typeof import('../../src/server/server-entry.js');

const INSTANCE = 'mqtt-cn-runtime';
const AK = 'LTAI5tRuntime';
const DEVICE_SECRET = 'D3v1ce-DoNotLeak-4e0a';
const TOKEN = 'T0ken-value-issued-4711';
const { clientId } = DOC_VECTOR;

/**
 * The credential handler as a runtime serves it: a real `Request` in, a `Response` out, for every
 * grant and for refusals, and no secret in any status line, header or body. Token grants use an
 * in-memory applier (the OpenAPI client is covered by the Node suites).
 */
export function credentialHandlerSuite(server: ServerApi): void {
  const clock = { now: () => Date.UTC(2026, 0, 1), setTimeout: () => 0, clearTimeout: () => undefined };
  const applied: unknown[] = [];
  const tokenIssuer = server.createTokenIssuer({
    clock,
    client: {
      accessKeyId: AK,
      instanceId: INSTANCE,
      async applyToken(options) {
        applied.push(options);
        const resources = typeof options.resources === 'string' ? [options.resources] : options.resources;
        return new server.AppliedToken(TOKEN, { instanceId: INSTANCE, resources, actions: options.actions, type: options.actions === 'R' ? 'R' : options.actions === 'W' ? 'W' : 'RW', expiresAt: options.expireTime });
      },
    },
  });
  const handler = server.createCredentialHandler({
    instanceId: INSTANCE,
    accessKeyId: AK,
    accessKeySecret: SECRET,
    tokenIssuer,
    deviceSecret: (id) => (id === clientId ? { deviceAccessKeyId: 'DK-1', deviceAccessKeySecret: DEVICE_SECRET } : undefined),
    authorize: (_request, _id, { params }) =>
      params.grant === 'signature' ? { mode: 'signature' } : params.grant === 'device' ? { mode: 'device' } : params.grant === 'token' ? { mode: 'token', resources: ['devices/#'], actions: 'R,W' } : false,
  });

  /** Every answer's status line, headers and body, as one text for the leak check. */
  const seen: string[] = [];
  async function ask(query: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
    const response = await handler(new Request(`http://credentials.test/mqtt-credentials?${query}`, init));
    expect(response).toBeInstanceOf(Response);
    const text = await response.text();
    const headers: string[] = [];
    response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
    seen.push(`${response.status} ${response.statusText}\n${headers.join('\n')}\n${text}`);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    return { status: response.status, body: JSON.parse(text) };
  }
  const id = `clientId=${encodeURIComponent(clientId)}`;

  describe('credential handler: Request in, Response out', () => {
    it('signature grant: the Username and the Password signed here', async () => {
      const { status, body } = await ask(`${id}&grant=signature`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ mode: 'signature', clientId, instanceId: INSTANCE, username: `Signature|${AK}|${INSTANCE}` });
      // The same password the builders give for this secret and client id.
      expect(body.password).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    });

    it('device grant: the DeviceCredential Username, signed with the device secret', async () => {
      const { status, body } = await ask(`${id}&grant=device`, { method: 'GET' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ mode: 'device', username: `DeviceCredential|DK-1|${INSTANCE}` });
    });

    it('token grant: a Token Username and the issued token, with its expiry, from a POST body', async () => {
      const { status, body } = await ask('', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId, grant: 'token' }) });
      expect(status).toBe(200);
      expect(body).toMatchObject({ mode: 'token', username: `Token|${AK}|${INSTANCE}`, password: `RW|${TOKEN}` });
      expect(body.expiresAt).toBeGreaterThan(clock.now());
      expect(applied).toHaveLength(1);
    });

    it('refuses what authorize does not grant: 403 ERR_FORBIDDEN', async () => {
      const { status, body } = await ask(`${id}&grant=none`);
      expect(status).toBe(403);
      expect(body.error).toMatchObject({ code: 'ERR_FORBIDDEN' });
    });

    it('refuses a bad client id before authorize: 400 ERR_INVALID_CLIENT_ID naming the part', async () => {
      const { status, body } = await ask('clientId=GID_x%40%40%40a%2Fb&grant=signature');
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'ERR_INVALID_CLIENT_ID', field: 'groupId' });
    });

    it('no answer carries a secret', () => {
      expect(seen.length).toBeGreaterThanOrEqual(5);
      for (const text of seen) for (const secret of [SECRET, DEVICE_SECRET]) expect(text).not.toContain(secret);
    });
  });
}
