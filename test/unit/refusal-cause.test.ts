/** Why a CONNECT was refused, as far as the SDK can tell without the broker: `likelyCause` and the message. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { customCredentials, deviceCredentials, signatureCredentials, tokenCredentials } from '../../src/index.js';
import { _refusalError } from '../../src/connect/refusal.js';
import { _buildNotes, _warnIfSpaced } from '../../src/lifecycle/built-credentials.js';
import { _checkProvided } from '../../src/lifecycle/provider.js';

const AK = { accessKeyId: 'LTAI5tCause', accessKeySecret: 'cause-secret-XYZ' };
const CLIENT = 'GID_fleet@@@dev-1';
const refused = () => Object.assign(new Error('Connection refused: Not authorized'), { code: 5 });
const NOW = Date.UTC(2026, 11, 7, 12);

afterEach(() => vi.restoreAllMocks());

describe('the likely cause of a refused CONNECT', () => {
  it('token-expired: the credentials it sent had expired by the (corrected) clock', () => {
    const sent = { ...tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: 'mqtt-cn-a', tokens: { RW: 'tok' } }), expiresAt: NOW - 3000 };
    const error = _refusalError(5, refused(), { sent, now: NOW, clientId: CLIENT, instanceId: 'mqtt-cn-a' });
    expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5, likelyCause: 'token-expired' });
    expect(error.message).toBe('the broker refused the connection: not authorized (code 5): likely because the credentials it sent had expired 3 s before');
  });

  it("instance-mismatch: the Username names another instance than the endpoint's host, or than instanceId", async () => {
    const sent = await signatureCredentials({ ...AK, instanceId: 'mqtt-cn-other', clientId: CLIENT });
    const byHost = _refusalError(0x86, refused(), { sent, now: NOW, clientId: CLIENT, host: 'mqtt-cn-mine.mqtt.aliyuncs.com' });
    expect(byHost.likelyCause).toBe('instance-mismatch');
    expect(byHost.message).toContain('the Username names instance "mqtt-cn-other", not "mqtt-cn-mine" of the endpoint "mqtt-cn-mine.mqtt.aliyuncs.com"');
    const byOption = _refusalError(5, refused(), { sent, now: NOW, clientId: CLIENT, instanceId: 'mqtt-cn-mine', host: '127.0.0.1' });
    expect(byOption).toMatchObject({ likelyCause: 'instance-mismatch', message: expect.stringContaining('not "mqtt-cn-mine" of instanceId') });
  });

  it('client-id-mismatch: the Password was signed for another client id, naming the Group IDs when they differ', async () => {
    const sent = await deviceCredentials({ deviceAccessKeyId: 'DK-1', deviceAccessKeySecret: 'device-secret-1', instanceId: 'mqtt-cn-a', clientId: 'GID_other@@@dev-1' });
    const checked = _checkProvided(sent, 'provider'); // the notes follow the checked copy
    const error = _refusalError(5, refused(), { sent: checked, notes: _buildNotes(checked), now: NOW, clientId: CLIENT, instanceId: 'mqtt-cn-a' });
    expect(error).toMatchObject({ likelyCause: 'client-id-mismatch', message: expect.stringContaining('the Password was signed for Group ID "GID_other", not "GID_fleet"') });
    const same = await signatureCredentials({ ...AK, instanceId: 'mqtt-cn-a', clientId: 'GID_fleet@@@dev-2' });
    expect(_refusalError(5, refused(), { sent: same, notes: _buildNotes(same), now: NOW, clientId: CLIENT }).message).toContain('client id "GID_fleet@@@dev-2", not "GID_fleet@@@dev-1"');
  });

  it('secret-whitespace: noted when building, warned (without the secret) when a session takes them, and named on the refusal', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const sent = await signatureCredentials({ ...AK, accessKeySecret: `${AK.accessKeySecret}\n`, instanceId: 'mqtt-cn-a', clientId: CLIENT });
    expect(warn).not.toHaveBeenCalled(); // the CLI's sign words its own warning
    expect(_warnIfSpaced(sent)).toBe(true);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]![0])).toBe('apsaramq-mqtt-auth: accessKeySecret has white space at its ends; it is used as is');
    const error = _refusalError(5, refused(), { sent, notes: _buildNotes(sent), now: NOW, clientId: CLIENT, instanceId: 'mqtt-cn-a' });
    expect(error).toMatchObject({ likelyCause: 'secret-whitespace', message: expect.stringContaining('accessKeySecret has white space at its ends') });
    expect(error.message).not.toContain(AK.accessKeySecret);
    const custom = await customCredentials({ username: 'me', secret: ' s3cret', clientId: CLIENT, signMode: 'ORIGIN' });
    expect(_refusalError(4, refused(), { sent: custom, notes: _buildNotes(custom), now: NOW, clientId: CLIENT }).likelyCause).toBe('secret-whitespace');
  });

  it('nothing specific: the general hint, and no likelyCause; a code that is no credential problem gets neither', async () => {
    const sent = await signatureCredentials({ ...AK, instanceId: 'mqtt-cn-a', clientId: CLIENT });
    const plain = _refusalError(5, refused(), { sent, notes: _buildNotes(sent), now: NOW, clientId: CLIENT, instanceId: 'mqtt-cn-a', host: 'mqtt-cn-a.mqtt.aliyuncs.com' });
    expect(plain.likelyCause).toBeUndefined();
    expect(plain.message).toMatch(/check the auth mode, AccessKey, instance id and client id$/);
    expect(Object.keys(plain)).not.toContain('likelyCause');
    const expired = { ...sent, expiresAt: NOW - 1 };
    expect(_refusalError(3, Object.assign(new Error('Connection refused: Server unavailable'), { code: 3 }), { sent: expired, now: NOW, clientId: CLIENT }).likelyCause).toBeUndefined();
  });
});
