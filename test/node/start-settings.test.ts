/**
 * `npm start`'s decisions that need no process: which target the environment selects (and the
 * errors that name the variable at fault), the default ports, and when `dist/` must be rebuilt.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_OUTPUTS, buildNeeded } from '../../scripts/start/build.mjs';
import { accessKeyVariables, MIN_TOKEN_TTL_MS, readStartSettings, StartSettingsError } from '../../scripts/start/settings.mjs';
import { MIN_TOKEN_LIFETIME } from '../../src/protocol/token-rules.js';
import { createTokenIssuer } from '../../src/server/server-entry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const files = { brokerConfigFile: join(ROOT, 'examples/broker.json') };
const INSTANCE = { APSARAMQ_INSTANCE_ID: 'mqtt-cn-abc', APSARAMQ_ACCESS_KEY_ID: 'LTAI-x', APSARAMQ_ACCESS_KEY_SECRET: 'secret-value-9', APSARAMQ_REGION_ID: 'cn-hangzhou' };

function refusal(env: Record<string, string>): string {
  try {
    readStartSettings(env, files);
  } catch (error) {
    expect(error).toBeInstanceOf(StartSettingsError);
    return (error as Error).message;
  }
  throw new Error('expected a StartSettingsError');
}

describe('readStartSettings', () => {
  it('without APSARAMQ_* variables: the local broker of examples/broker.json on the fixed ports', () => {
    expect(readStartSettings({}, files)).toEqual({
      target: 'local',
      instanceId: 'mqtt-local-demo',
      webPort: 8080,
      brokerPorts: { tcp: 1883, tls: 8883, ws: 8083, wss: 8084, http: 8088 },
      tokenTtl: 3_600_000,
      groupId: 'GID_demo',
      parentTopic: 'demo',
    });
  });

  it('DEMO_*_PORT override the ports, 0 included (any free port)', () => {
    const settings = readStartSettings({ DEMO_WEB_PORT: '0', DEMO_TCP_PORT: '11883', DEMO_TLS_PORT: '18883', DEMO_WS_PORT: '0', DEMO_WSS_PORT: '0', DEMO_HTTP_PORT: '18088' }, files);
    expect(settings).toMatchObject({ webPort: 0, brokerPorts: { tcp: 11883, tls: 18883, ws: 0, wss: 0, http: 18088 } });
  });

  it('with the three APSARAMQ_* variables and a region: the instance, over wss on 443 for the pages', () => {
    const settings = readStartSettings(INSTANCE, files);
    expect(settings).toEqual({
      target: 'instance',
      instanceId: 'mqtt-cn-abc',
      accessKeyId: 'LTAI-x',
      accessKeyVariables: { id: 'APSARAMQ_ACCESS_KEY_ID', secret: 'APSARAMQ_ACCESS_KEY_SECRET', token: 'APSARAMQ_SECURITY_TOKEN' },
      openApi: { regionId: 'cn-hangzhou' },
      host: 'mqtt-cn-abc.mqtt.aliyuncs.com',
      pages: { transport: 'wss', port: 443, path: '/mqtt' },
      webPort: 8080,
      tokenTtl: 3_600_000,
      groupId: 'GID_demo',
      parentTopic: 'demo',
    });
    expect(JSON.stringify(settings)).not.toContain(INSTANCE.APSARAMQ_ACCESS_KEY_SECRET);
  });

  it('APSARAMQ_HOST, the OpenAPI endpoint and the pages transport can be given', () => {
    const settings = readStartSettings(
      { ...INSTANCE, APSARAMQ_REGION_ID: '', APSARAMQ_OPENAPI_ENDPOINT: 'https://onsmqtt.cn-shanghai.aliyuncs.com', APSARAMQ_HOST: 'broker.example', APSARAMQ_WS_TRANSPORT: 'ws' },
      files,
    );
    expect(settings).toMatchObject({ host: 'broker.example', openApi: { endpoint: 'https://onsmqtt.cn-shanghai.aliyuncs.com' }, pages: { transport: 'ws', port: 80 } });
  });

  it.each([
    [{ APSARAMQ_INSTANCE_ID: 'mqtt-cn-abc' }, 'APSARAMQ_ACCESS_KEY_ID and APSARAMQ_ACCESS_KEY_SECRET must be set too, to use an ApsaraMQ instance (or unset APSARAMQ_INSTANCE_ID for the local broker)'],
    [{ ...INSTANCE, APSARAMQ_REGION_ID: '' }, 'APSARAMQ_REGION_ID (e.g. cn-hangzhou) or APSARAMQ_OPENAPI_ENDPOINT is required: the credential server applies for tokens there'],
    [{ DEMO_WEB_PORT: 'http' }, 'DEMO_WEB_PORT must be a port number from 0 (any free port) to 65535 (got "http")'],
    [{ DEMO_TCP_PORT: '65536' }, 'DEMO_TCP_PORT must be a port number from 0 (any free port) to 65535 (got "65536")'],
    // 60 s is ApplyToken's minimum when it receives the call: asked for exactly, it fails on the way (10 s are kept for the trip).
    [{ DEMO_TOKEN_TTL_MS: '60000' }, 'DEMO_TOKEN_TTL_MS must be a whole number of milliseconds from 70000 to 2592000000 (got "60000")'],
    [{ DEMO_TOKEN_TTL_MS: '2592000001' }, 'DEMO_TOKEN_TTL_MS must be a whole number of milliseconds from 70000 to 2592000000 (got "2592000001")'],
    [{ APSARAMQ_GROUP_ID: 'demo' }, 'APSARAMQ_GROUP_ID must be a GroupId: GID_ or GID- then letters, digits, - or _ (got "demo")'],
    [{ APSARAMQ_PARENT_TOPIC: 'a/b' }, 'APSARAMQ_PARENT_TOPIC must be a parent topic: letters, digits, - or _ (got "a/b")'],
    [{ ...INSTANCE, APSARAMQ_WS_TRANSPORT: 'http' }, 'APSARAMQ_WS_TRANSPORT must be "wss" or "ws" (got "http")'],
  ])('%o is refused: %s', (env, message) => {
    expect(refusal(env)).toBe(message);
  });

  it('the shortest DEMO_TOKEN_TTL_MS is the SDK\'s MIN_TOKEN_LIFETIME, and a token issuer accepts it', () => {
    expect(MIN_TOKEN_TTL_MS).toBe(MIN_TOKEN_LIFETIME);
    expect(readStartSettings({ DEMO_TOKEN_TTL_MS: String(MIN_TOKEN_LIFETIME) }, files).tokenTtl).toBe(MIN_TOKEN_LIFETIME);
    const client = { accessKeyId: 'LTAI-x', instanceId: 'mqtt-x', applyToken: () => Promise.reject(new Error('not called')) };
    expect(() => createTokenIssuer({ client, ttl: MIN_TOKEN_LIFETIME, refreshMargin: 0 })).not.toThrow();
    expect(() => createTokenIssuer({ client, ttl: MIN_TOKEN_LIFETIME - 1, refreshMargin: 0 })).toThrow(expect.objectContaining({ field: 'ttl' }));
  });

  it("Alibaba's variable names work for the AccessKey (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / ALIBABA_CLOUD_SECURITY_TOKEN), one family at a time", () => {
    const alibaba = { APSARAMQ_INSTANCE_ID: 'mqtt-cn-abc', APSARAMQ_REGION_ID: 'cn-hangzhou', ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.x', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret-value-8', ALIBABA_CLOUD_SECURITY_TOKEN: 'CAIS-token' };
    const settings = readStartSettings(alibaba, files);
    expect(settings).toMatchObject({ target: 'instance', accessKeyId: 'STS.x', accessKeyVariables: { id: 'ALIBABA_CLOUD_ACCESS_KEY_ID', secret: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', token: 'ALIBABA_CLOUD_SECURITY_TOKEN' } });
    expect(JSON.stringify(settings)).not.toContain('secret-value-8');
    expect(JSON.stringify(settings)).not.toContain('CAIS-token');
    // The project's own names win when given: an id and a secret never come from two pairs.
    expect(readStartSettings({ ...alibaba, ...INSTANCE }, files)).toMatchObject({ accessKeyId: 'LTAI-x', accessKeyVariables: { secret: 'APSARAMQ_ACCESS_KEY_SECRET' } });
    expect(accessKeyVariables({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', APSARAMQ_ACCESS_KEY_SECRET: 's' }).id).toBe('APSARAMQ_ACCESS_KEY_ID');
    expect(refusal({ APSARAMQ_INSTANCE_ID: 'mqtt-cn-abc', ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-y' })).toBe(
      'ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set too, to use an ApsaraMQ instance (or unset APSARAMQ_INSTANCE_ID, ALIBABA_CLOUD_ACCESS_KEY_ID for the local broker)',
    );
  });

  it('no refusal quotes a secret', () => {
    expect(refusal({ APSARAMQ_ACCESS_KEY_SECRET: 'secret-value-9' })).not.toContain('secret-value-9');
  });
});

describe('buildNeeded', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A checkout with sources at `sourceTime` and, unless `without`, every output at `outputTime` (seconds). */
  function checkout(sourceTime: number, outputTime: number, without?: string): string {
    const dir = (root = mkdtempSync(join(tmpdir(), 'start-build-')));
    for (const file of ['src/index.ts', 'src/lifecycle/session.ts', 'rollup.config.ts', 'tsconfig.json']) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
      utimesSync(join(dir, file), sourceTime, sourceTime);
    }
    for (const folder of ['src', 'src/lifecycle']) utimesSync(join(dir, folder), sourceTime, sourceTime);
    for (const file of BUILD_OUTPUTS) {
      if (file === without) continue;
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
      utimesSync(join(dir, file), outputTime, outputTime);
    }
    return dir;
  }

  it('nothing to do when every output is newer than every source', () => {
    expect(buildNeeded(checkout(1_000, 2_000))).toBeUndefined();
  });

  it('a fresh clone (no dist/) needs a build', () => {
    expect(buildNeeded(checkout(1_000, 2_000, 'dist/index.js'))).toBe('dist/index.js is missing');
  });

  it('the signature page’s copy of the UMD file counts as an output', () => {
    expect(buildNeeded(checkout(1_000, 2_000, 'examples/signature-tool/vendor/apsaramq-mqtt-auth.full.umd.min.js'))).toBe(
      'examples/signature-tool/vendor/apsaramq-mqtt-auth.full.umd.min.js is missing',
    );
  });

  it('a source edited after the build makes it stale, however deep', () => {
    const dir = checkout(1_000, 2_000);
    utimesSync(join(dir, 'src/lifecycle/session.ts'), 3_000, 3_000);
    expect(buildNeeded(dir)).toBe('src changed since the last build');
  });

  it('a changed build config makes it stale', () => {
    const dir = checkout(1_000, 2_000);
    utimesSync(join(dir, 'rollup.config.ts'), 3_000, 3_000);
    expect(buildNeeded(dir)).toBe('rollup.config.ts changed since the last build');
  });
});
