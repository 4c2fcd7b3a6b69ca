/**
 * The TLS certificate of the local broker: the DER writer, the local CA kept in a state folder
 * (made once, shared by brokers starting at once, replaced when damaged, in memory when the folder
 * cannot be used), the server certificate it signs (checked by Node's X509Certificate and by
 * `openssl verify -x509_strict`), and a certificate given in the config.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _makeCa, _makeServerCertificate, _tlsMaterial, defaultStateDir } from '../../src/broker/certificates.js';
import { _der, _integer, _oid, _time } from '../../src/broker/der.js';
import { _cappedKeepAlive, _checkLimits, DEFAULT_LIMITS } from '../../src/broker/broker-limits.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'broker-certs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DER', () => {
  it('encodes object identifiers, integers, lengths and times as X.690 says', () => {
    expect(_oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(_oid('2.5.29.17').toString('hex')).toBe('0603551d11');
    expect(_integer(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(_integer(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    expect(_der(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(_der(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
    expect(_time(new Date(Date.UTC(2030, 0, 2, 3, 4, 5))).toString()).toContain('300102030405Z');
    expect(_time(new Date(Date.UTC(2050, 0, 2, 3, 4, 5)))[0]).toBe(0x18);
  });
});

describe('the local CA and the server certificate', () => {
  it('makes a CA once in the state folder (key readable by the user only) and a server certificate for localhost, 127.0.0.1, ::1 and the host', async () => {
    const stateDir = join(dir, 'one');
    const first = await _tlsMaterial({ stateDir }, ['broker.test']);
    expect(first.caFile).toBe(join(stateDir, 'ca', 'cert.pem'));
    expect(await readFile(first.caFile!, 'utf8')).toBe(first.ca);
    expect((await stat(join(stateDir, 'ca', 'key.pem'))).mode & 0o777).toBe(0o600);
    const ca = new X509Certificate(first.ca);
    const leaf = new X509Certificate(first.cert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect([leaf.checkHost('localhost'), leaf.checkHost('broker.test'), leaf.checkIP('127.0.0.1'), leaf.checkIP('::1')]).toEqual(['localhost', 'broker.test', '127.0.0.1', '::1']);
    expect(leaf.checkPrivateKey(createPrivateKey(first.key))).toBe(true);
    // openssl, strict RFC 5280 checks included, agrees.
    const chain = join(dir, 'chain.pem');
    await writeFile(chain, first.cert);
    expect(execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', first.caFile!, chain], { encoding: 'utf8' })).toContain('OK');

    const second = await _tlsMaterial({ stateDir }, []);
    expect(second.ca).toBe(first.ca);
    expect(second.cert).not.toBe(first.cert);
  });

  it('gives brokers that start at once one CA', async () => {
    const stateDir = join(dir, 'race');
    const all = await Promise.all(Array.from({ length: 8 }, () => _tlsMaterial({ stateDir }, [])));
    expect(new Set(all.map((m) => m.ca)).size).toBe(1);
    expect(all.every((m) => new X509Certificate(m.cert).checkIssued(new X509Certificate(m.ca)))).toBe(true);
    expect((await readdir(stateDir)).filter((name) => name.startsWith('.ca-'))).toEqual([]);
  });

  it('replaces a damaged CA, keeping the old files aside', async () => {
    const stateDir = join(dir, 'damaged');
    const before = await _tlsMaterial({ stateDir }, []);
    await writeFile(before.caFile!, 'not a certificate');
    const after = await _tlsMaterial({ stateDir }, []);
    expect(after.ca).not.toBe(before.ca);
    expect(new X509Certificate(after.ca).ca).toBe(true);
    expect((await readdir(stateDir)).some((name) => name.startsWith('ca-replaced-'))).toBe(true);
  });

  it('keeps the CA in memory with stateDir: false, or when the folder cannot be written', async () => {
    expect((await _tlsMaterial({ stateDir: false }, [])).caFile).toBeUndefined();
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const material = await _tlsMaterial({ stateDir: join(file, 'below') }, []);
    expect(material.caFile).toBeUndefined();
    expect(new X509Certificate(material.cert).checkIssued(new X509Certificate(material.ca))).toBe(true);
  });

  it('uses a certificate given in the config (the CA to trust defaults to it), and names the field of a bad one', async () => {
    const ca = _makeCa(Date.now());
    const leaf = _makeServerCertificate(ca, ['localhost'], Date.now());
    expect(await _tlsMaterial({ cert: leaf.cert, key: leaf.key, ca: ca.cert }, [])).toEqual({ cert: leaf.cert, key: leaf.key, ca: ca.cert, caFile: undefined });
    expect((await _tlsMaterial({ cert: leaf.cert, key: leaf.key }, [])).ca).toBe(leaf.cert);
    await expect(_tlsMaterial({ cert: leaf.cert }, [])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'tls.key' });
    await expect(_tlsMaterial({ cert: 'garbage', key: leaf.key }, [])).rejects.toMatchObject({ field: 'tls.cert' });
    await expect(_tlsMaterial({ cert: leaf.cert, key: 'garbage' }, [])).rejects.toMatchObject({ field: 'tls.key' });
  });

  it('finds the state folder where each platform keeps application state', () => {
    if (process.platform === 'linux') {
      expect(defaultStateDir({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/apsaramq-mqtt-auth');
      expect(defaultStateDir({})).toMatch(/\/\.local\/state\/apsaramq-mqtt-auth$/);
    }
  });
});

describe('limits', () => {
  it('default to the documented values and refuse unknown or out-of-range settings by name', () => {
    expect(_checkLimits(undefined)).toEqual(DEFAULT_LIMITS);
    expect(_checkLimits({ maxPayloadBytes: 1024 })).toEqual({ ...DEFAULT_LIMITS, maxPayloadBytes: 1024 });
    expect(() => _checkLimits({ maxPayload: 1 } as never)).toThrow(expect.objectContaining({ field: 'limits.maxPayload' }));
    expect(() => _checkLimits({ maxKeepAliveSeconds: 0 })).toThrow(expect.objectContaining({ field: 'limits.maxKeepAliveSeconds' }));
    expect(() => _checkLimits({ maxPacketBytes: 1.5 })).toThrow(expect.objectContaining({ field: 'limits.maxPacketBytes' }));
  });
  it('cap Keep Alive: longer, or none (0), becomes the cap', () => {
    expect([_cappedKeepAlive(90, 480), _cappedKeepAlive(480, 480), _cappedKeepAlive(481, 480), _cappedKeepAlive(0, 480)]).toEqual([90, 480, 480, 480]);
  });
});
