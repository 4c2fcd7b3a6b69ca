/**
 * The local CA's Name Constraints in Chromium (the second security review, finding 8): a browser
 * that trusts the CA, as the README asks developers to, accepts the broker's certificate for
 * `localhost` and refuses one the CA's key minted for another site. Debian's Chromium, with the CA
 * added to the NSS database of a throwaway HOME (`certutil`, Debian's libnss3-tools), HTTPS servers
 * on 127.0.0.1, and the other site's name resolved to 127.0.0.1 by `--host-resolver-rules`.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _makeServerCertificate, _tlsMaterial } from '../src/broker/certificates.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../vitest.config.js';

let home: string;
let browser: Browser;
const servers: Server[] = [];
let ca: { cert: string; key: string };
let material: Awaited<ReturnType<typeof _tlsMaterial>>;

async function serve(cert: string, key: string): Promise<number> {
  const server = createServer({ cert, key }, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('served over TLS'));
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ca-chromium-'));
  const stateDir = join(home, 'state');
  material = await _tlsMaterial({ stateDir }, []);
  ca = { cert: material.ca, key: await readFile(join(stateDir, 'ca', 'key.pem'), 'utf8') };
  // Chromium on Linux reads trust from the user's NSS database: trust the CA there, as a developer would.
  const nssdb = join(home, '.pki', 'nssdb');
  await mkdir(nssdb, { recursive: true });
  await writeFile(join(home, 'ca.pem'), ca.cert);
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'apsaramq-mqtt-auth local CA', '-i', join(home, 'ca.pem')]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP bank.example 127.0.0.1, MAP broker.test 127.0.0.1'],
    headless: true,
    timeout: 30_000,
    env: { ...process.env, HOME: home },
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))));
  await rm(home, { recursive: true, force: true });
});

/** What Chromium makes of `url`: the page text, or the network error. */
async function visit(url: string): Promise<string> {
  const page = await browser.newPage();
  try {
    const response = await page.goto(url, { timeout: 20_000 });
    return `${response?.status()} ${await page.innerText('body')}`;
  } catch (error) {
    return String((error as Error).message).split('\n')[0]!;
  } finally {
    await page.close();
  }
}

describe('finding 8 in Chromium: the name-constrained local CA', () => {
  it('the broker’s certificate for localhost is trusted', async () => {
    const port = await serve(material.cert, material.key);
    expect(await visit(`https://localhost:${port}/`)).toBe('200 served over TLS');
  });

  it('a certificate the CA’s key mints for another site is refused', async () => {
    const forged = _makeServerCertificate(ca, ['bank.example'], Date.now());
    const port = await serve(forged.cert + ca.cert, forged.key);
    const verdict = await visit(`https://bank.example:${port}/`);
    if (process.env.CA_STATS) console.log(verdict);
    expect(verdict).toMatch(/net::ERR_CERT_/);
    expect(verdict).not.toContain('served over TLS');
  });
});
