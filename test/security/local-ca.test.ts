/**
 * The second security audit, finding 8: the local CA could sign for any host. It was `CA:TRUE,
 * pathlen:0`, valid ten years, without Name Constraints, and the README asks developers to trust it:
 * whoever read its `key.pem` could mint a certificate for any site. Now it is name-constrained to
 * `localhost`, 127.0.0.0/8, ::1 and the configured names, and lives about two years. Checked with
 * OpenSSL's own tools (`openssl x509 -text`, `openssl verify`) and Node's TLS client against real
 * TLS servers on 127.0.0.1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _makeServerCertificate, _tlsMaterial } from '../../src/broker/certificates.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-ca-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `openssl verify` of `leaf` against `ca` (PEM): its output, and whether it passed. */
async function opensslVerify(ca: string, leaf: string, name: string): Promise<{ ok: boolean; text: string }> {
  const caFile = join(dir, `${name}-ca.pem`);
  const leafFile = join(dir, `${name}-leaf.pem`);
  await writeFile(caFile, ca);
  await writeFile(leafFile, leaf);
  const run = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, leafFile], { encoding: 'utf8' });
  return { ok: run.status === 0, text: `${run.stdout}${run.stderr}` };
}

/** A TLS server presenting `cert`/`key`, and what Node's TLS client trusting only `ca` says of it for `servername`. */
async function nodeTlsVerdict(material: { cert: string; key: string }, ca: string, servername: string): Promise<'trusted' | string> {
  const server: Server = createTlsServer({ cert: material.cert, key: material.key }, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, ca }, () => {
        socket.destroy();
        resolve('trusted');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('finding 8: the local CA is name-constrained and short-lived', () => {
  it('carries critical Name Constraints permitting only localhost, 127.0.0.0/8, ::1 and the configured names (openssl x509 -text)', async () => {
    const material = await _tlsMaterial({ stateDir: join(dir, 'state'), hosts: ['broker.test', '10.1.2.3'] }, ['127.0.0.1']);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: material.ca, encoding: 'utf8' });
    expect(text).toMatch(/X509v3 Name Constraints: critical\s+Permitted:/);
    const permitted = text.slice(text.indexOf('Permitted:'), text.indexOf('X509v3', text.indexOf('Permitted:')));
    expect(permitted).toContain('DNS:localhost');
    expect(permitted).toContain('DNS:broker.test');
    expect(permitted).toContain('IP:127.0.0.0/255.0.0.0');
    expect(permitted).toMatch(/IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/);
    expect(permitted).toContain('IP:10.1.2.3/255.255.255.255');
    expect(permitted).not.toContain('Excluded');
    const ca = new X509Certificate(material.ca);
    const days = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 86_400_000;
    expect(days).toBeLessThanOrEqual(826);
  });

  it('its leaf for localhost, the loopback addresses and the configured name is accepted (openssl verify, Node’s TLS)', async () => {
    const material = await _tlsMaterial({ stateDir: join(dir, 'state'), hosts: ['broker.test', '10.1.2.3'] }, ['127.0.0.1']);
    const leafOnly = material.cert.slice(0, material.cert.indexOf('-----END CERTIFICATE-----') + 26);
    expect(await opensslVerify(material.ca, leafOnly, 'good')).toMatchObject({ ok: true });
    for (const name of ['localhost', 'broker.test']) expect(await nodeTlsVerdict(material, material.ca, name), name).toBe('trusted');
  });

  it('a leaf its key mints for another name is refused (openssl verify: permitted subtree violation; Node’s TLS)', async () => {
    const stateDir = join(dir, 'state');
    const material = await _tlsMaterial({ stateDir, hosts: ['broker.test'] }, []);
    // What whoever read key.pem could do: sign a certificate for a site this machine trusts the CA for.
    const { readFile } = await import('node:fs/promises');
    const ca = { cert: material.ca, key: await readFile(join(stateDir, 'ca', 'key.pem'), 'utf8') };
    for (const evil of [['bank.example'], ['localhost', 'bank.example'], ['192.168.1.1'], ['evil-localhost']]) {
      const forged = _makeServerCertificate(ca, evil, Date.now());
      const verdict = await opensslVerify(ca.cert, forged.cert, `evil-${evil.join('-')}`);
      expect(verdict.ok, evil.join(',')).toBe(false);
      expect(verdict.text, evil.join(',')).toMatch(/permitted subtree violation/);
      // Node's TLS refuses it too (OpenSSL underneath; Node 20 reports the code as UNSPECIFIED or PERMITTED_SUBTREE_VIOLATION).
      expect(await nodeTlsVerdict({ cert: forged.cert + ca.cert, key: forged.key }, ca.cert, evil.at(-1)!), evil.join(',')).toMatch(/^(UNSPECIFIED|PERMITTED_SUBTREE_VIOLATION)$/);
    }
  });

  it('keeps the key file 0600 in a 0700 folder', async () => {
    const stateDir = join(dir, 'modes');
    await _tlsMaterial({ stateDir }, []);
    expect((await stat(join(stateDir, 'ca', 'key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, 'ca'))).mode & 0o777).toBe(0o700);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it('replaces a stored CA without Name Constraints (one made before), keeping the old files aside', async () => {
    const stateDir = join(dir, 'old');
    const caDir = join(stateDir, 'ca');
    execFileSync('mkdir', ['-p', caDir]);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650', '-subj', '/CN=old unconstrained CA', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-keyout', join(caDir, 'key.pem'), '-out', join(caDir, 'cert.pem')], { stdio: 'ignore' });
    const material = await _tlsMaterial({ stateDir }, []);
    expect(execFileSync('openssl', ['x509', '-noout', '-text'], { input: material.ca, encoding: 'utf8' })).toContain('Name Constraints');
    expect((await readdir(stateDir)).some((name) => name.startsWith('ca-replaced-'))).toBe(true);
  });

  it('a new host later makes a CA permitting it and the names the old one permitted', async () => {
    const stateDir = join(dir, 'grow');
    await _tlsMaterial({ stateDir, hosts: ['first.test'] }, []);
    const later = await _tlsMaterial({ stateDir, hosts: ['second.test'] }, []);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: later.ca, encoding: 'utf8' });
    expect(text).toContain('DNS:first.test');
    expect(text).toContain('DNS:second.test');
    expect(await nodeTlsVerdict(later, later.ca, 'second.test')).toBe('trusted');
  });
});
