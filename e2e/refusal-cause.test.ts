/**
 * A refused CONNECT against the local broker says why, when the SDK can tell without the broker's
 * help (`likelyCause`), over MQTT 3.1.1 and 5: Signature credentials signed for another client id,
 * with a secret that has a trailing newline, and a Username naming another instance.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { connectAsync, deviceCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';

const INSTANCE = 'mqtt-cn-cause';
const AK = { accessKeyId: 'LTAI-cause-test', accessKeySecret: 'cause-test-AccessKeySecret-3' };
const DEVICE = { clientId: 'GID_cause@@@sensor', deviceAccessKeyId: 'DK-cause', deviceAccessKeySecret: 'cause-device-secret-5' };

let broker: LocalBroker;
beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], devices: [DEVICE], httpPort: false });
});
afterAll(async () => {
  await broker?.close();
});

const refusal = (error: unknown) => error as { code: string; returnCode: number; likelyCause?: string; message: string };

describe.each([4, 5] as const)('MQTT %s: a refused CONNECT names its likely cause', (protocolVersion) => {
  const attempt = async (clientId: string, credentials: Parameters<typeof connectAsync>[0]['credentials']) =>
    refusal(await connectAsync({ instanceId: INSTANCE, clientId, credentials, ...broker.endpoint('tcp'), protocolVersion, reconnectPeriod: 0 }).then((c) => (c.end(true), undefined), (e: unknown) => e));

  it('Signature mode: the Password was signed for another Group ID', async () => {
    const error = await attempt('GID_cause@@@dev-1', signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: 'GID_other@@@dev-1' }));
    expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', likelyCause: 'client-id-mismatch' });
    expect(error.message).toContain('the Password was signed for Group ID "GID_other", not "GID_cause"');
  });

  it('Signature mode: the AccessKey secret has a trailing newline (warned once when the session takes it)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const error = await attempt('GID_cause@@@dev-2', signatureCredentials({ ...AK, accessKeySecret: `${AK.accessKeySecret}\n`, instanceId: INSTANCE, clientId: 'GID_cause@@@dev-2' }));
      expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', likelyCause: 'secret-whitespace' });
      expect(error.message).not.toContain(AK.accessKeySecret);
      expect(warn).toHaveBeenCalledOnce();
    } finally {
      warn.mockRestore();
    }
  });

  it('DeviceCredential mode: the Username names another instance than instanceId', async () => {
    const error = await attempt(DEVICE.clientId, deviceCredentials({ ...DEVICE, instanceId: 'mqtt-cn-elsewhere' }));
    expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', likelyCause: 'instance-mismatch' });
    expect(error.message).toContain('the Username names instance "mqtt-cn-elsewhere", not "mqtt-cn-cause" of instanceId');
  });

  it('Token mode, a token the broker does not know: no likely cause the SDK could know, the general hint', async () => {
    const error = await attempt('GID_cause@@@dev-3', tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: 'never-applied' } }));
    expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED' });
    expect(error.likelyCause).toBeUndefined();
    expect(error.message).toContain('check the auth mode, AccessKey, instance id and client id');
  });
});
