/**
 * The certificate of the broker's TLS listeners: either the one given in the config, or a server
 * certificate made at each start and signed by a local CA that is kept in a state folder (so that
 * clients trust it once, like mkcert's). Everything is Node's own crypto (EC P-256 keys, ECDSA
 * signatures, `X509Certificate` to read a stored CA back); the DER is written by `der.ts`. Why not a
 * library or `openssl`: README, "Design notes".
 * @module
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { _invalid } from '../errors.js';
import { _bitString, _boolean, _der, _explicit, _implicit, _integer, _octetString, _oid, _sequence, _set, _time, _utf8String } from './der.js';

/** The TLS settings of `startBroker` (all optional). */
export interface BrokerTlsConfig {
  /** PEM certificate (chain) the TLS listeners present, with `key`. Default: made at start, signed by the local CA. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** PEM of the CA clients should trust (`broker.ca`). With `cert` given, default: `cert` itself. */
  ca?: string;
  /**
   * Where the local CA is kept (`<stateDir>/ca/cert.pem`, `key.pem`), `false` to keep it in memory for
   * this run only. Default: the user's state folder (`$XDG_STATE_HOME` or `~/.local/state` on Linux,
   * `~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows) + `/apsaramq-mqtt-auth`.
   */
  stateDir?: string | false;
  /** More names the made certificate is valid for (DNS names or IP addresses); `localhost`, `127.0.0.1`, `::1` and `host` always are. */
  hosts?: readonly string[];
}

/** What the TLS listeners use, and what clients should trust. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** PEM of the CA to trust. */
  readonly ca: string;
  /** Where that CA is stored, when it is a file. */
  readonly caFile: string | undefined;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
} as const;

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CA_DAYS = 10 * 365;
const LEAF_DAYS = 397;
const ORGANIZATION = 'apsaramq-mqtt-auth development CA';

/** The default state folder of the local broker. */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const os = platform();
  if (os === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'apsaramq-mqtt-auth');
  if (os === 'darwin') return join(homedir(), 'Library', 'Application Support', 'apsaramq-mqtt-auth');
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'apsaramq-mqtt-auth');
}

const rdn = (oid: string, value: string): Buffer => _set(_sequence(_oid(oid), _utf8String(value)));
/** A distinguished name: `O=<organization>, CN=<cn>`, or `CN=<cn>` alone. */
const name = (cn: string, organization?: string): Buffer =>
  organization ? _sequence(rdn(OID.organization, organization), rdn(OID.commonName, cn)) : _sequence(rdn(OID.commonName, cn));

const extension = (oid: string, critical: boolean, value: Uint8Array): Buffer =>
  critical ? _sequence(_oid(oid), _boolean(true), _octetString(value)) : _sequence(_oid(oid), _octetString(value));

/** SHA-1 of the public key's point (RFC 5280 §4.2.1.2, method 1). */
function keyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // A P-256 SPKI ends with the 65-byte uncompressed point.
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

/** IPv4 or IPv6 text → its 4 or 16 bytes. */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const group = (part: string | undefined) => (part ? part.split(':') : []);
  const left = group(head);
  const right = group(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.concat(groups.map((g) => Buffer.from([parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
}

interface CertificateInput {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  days: number;
  now: number;
  extensions: Buffer[];
}

/** A signed X.509 v3 certificate, PEM. */
function certificate(input: CertificateInput): string {
  const algorithm = _sequence(_oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = _sequence(
    _explicit(0, _integer(Buffer.from([2]))),
    _integer(serial),
    algorithm,
    input.issuer,
    // An hour back: a client whose clock is a little behind still accepts it.
    _sequence(_time(new Date(input.now - HOUR)), _time(new Date(input.now + input.days * DAY))),
    input.subject,
    input.publicKey.export({ type: 'spki', format: 'der' }),
    _explicit(3, _sequence(...input.extensions)),
  );
  const der = _sequence(tbs, algorithm, _bitString(sign('sha256', tbs, input.signingKey)));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

const newKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemKey = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A new local CA (valid ten years): its certificate and key, PEM. */
export function _makeCa(now: number): { cert: string; key: string } {
  const { publicKey, privateKey } = newKeys();
  const subject = name(`apsaramq-mqtt-auth local CA ${randomBytes(4).toString('hex')}`, ORGANIZATION);
  const cert = certificate({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    days: CA_DAYS,
    now,
    extensions: [
      extension(OID.basicConstraints, true, _sequence(_boolean(true), _integer(Buffer.from([0])))),
      // keyCertSign | cRLSign: bits 5 and 6, one unused bit.
      extension(OID.keyUsage, true, _der(0x03, Buffer.from([1, 0x06]))),
      extension(OID.subjectKeyId, false, _octetString(keyId(publicKey))),
    ],
  });
  return { cert, key: pemKey(privateKey) };
}

/** A server certificate for `hosts`, signed by the CA (`caCert`, `caKey` PEM). */
export function _makeServerCertificate(ca: { cert: string; key: string }, hosts: readonly string[], now: number): { cert: string; key: string } {
  const caKey = createPrivateKey(ca.key);
  const caCert = new X509Certificate(ca.cert);
  const { publicKey, privateKey } = newKeys();
  const names = [...new Set(hosts)].map((h) => (isIP(h) ? _implicit(7, ipBytes(h)) : _implicit(2, Buffer.from(h, 'ascii'))));
  const cert = certificate({
    subject: name(hosts[0] ?? 'localhost'),
    issuer: subjectOf(caCert),
    publicKey,
    signingKey: caKey,
    days: LEAF_DAYS,
    now,
    extensions: [
      extension(OID.basicConstraints, true, _sequence()),
      // digitalSignature: bit 0, seven unused bits.
      extension(OID.keyUsage, true, _der(0x03, Buffer.from([7, 0x80]))),
      extension(OID.extKeyUsage, false, _sequence(_oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, _sequence(...names)),
      extension(OID.subjectKeyId, false, _octetString(keyId(publicKey))),
      extension(OID.authorityKeyId, false, _sequence(_implicit(0, keyId(caCert.publicKey)))),
    ],
  });
  return { cert, key: pemKey(privateKey) };
}

/** The subject Name of a certificate, as DER (the issuer of what it signs). */
function subjectOf(cert: X509Certificate): Buffer {
  // Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version, serial, sigAlg, issuer, validity, subject, ... } }
  const raw = cert.raw;
  let offset = 0;
  const read = () => {
    const tag = raw[offset]!;
    let length = raw[offset + 1]!;
    let header = 2;
    if (length & 0x80) {
      const bytes = length & 0x7f;
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + raw[offset + 2 + i]!;
      header += bytes;
    }
    return { tag, start: offset, header, end: offset + header + length };
  };
  const enter = () => {
    const element = read();
    offset = element.start + element.header;
    return element;
  };
  const skip = () => {
    const element = read();
    offset = element.end;
    return element;
  };
  enter(); // Certificate
  enter(); // TBSCertificate
  skip(); // version
  skip(); // serial
  skip(); // signature algorithm
  skip(); // issuer
  skip(); // validity
  const subject = skip();
  return Buffer.from(raw.subarray(subject.start, subject.end));
}

/** A stored CA that is still good for a while and whose key matches, else `undefined`. */
function usableCa(cert: string, key: string, now: number): { cert: string; key: string } | undefined {
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.ca || Date.parse(x509.validTo) < now + LEAF_DAYS * DAY || !x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

/**
 * The local CA in `stateDir` (made there on first use; several brokers starting at once agree on
 * one). `caFile` is `undefined` when the folder cannot be used: the CA then lives for this run only.
 */
async function localCa(stateDir: string | false, now: number): Promise<{ cert: string; key: string; caFile: string | undefined }> {
  if (stateDir === false) return { ..._makeCa(now), caFile: undefined };
  const dir = join(stateDir, 'ca');
  const certFile = join(dir, 'cert.pem');
  const load = async () => usableCa(await readFile(certFile, 'utf8'), await readFile(join(dir, 'key.pem'), 'utf8'), now);
  try {
    const stored = await load().catch(() => undefined);
    if (stored) return { ...stored, caFile: certFile };
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    // Written beside, then moved into place in one step: a concurrent start either wins or reads the winner's.
    const made = _makeCa(now);
    const temp = await mkdtemp(join(stateDir, '.ca-'));
    await writeFile(join(temp, 'key.pem'), made.key, { mode: 0o600 });
    await writeFile(join(temp, 'cert.pem'), made.cert, { mode: 0o644 });
    // Moving a folder onto an existing one fails: then another start won (use its CA), or the one
    // there is no longer usable (expiring, damaged), which is moved aside (not deleted) once.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await rename(temp, dir);
        return { ...made, caFile: certFile };
      } catch {
        const winner = await load().catch(() => undefined);
        if (winner) {
          await rm(temp, { recursive: true, force: true });
          return { ...winner, caFile: certFile };
        }
        if (attempt === 0) await rename(dir, `${dir}-replaced-${now}`).catch(() => {});
      }
    }
    await rm(temp, { recursive: true, force: true });
    return { ...made, caFile: undefined };
  } catch {
    return { ..._makeCa(now), caFile: undefined };
  }
}

/**
 * @internal The certificate, key and CA of the TLS listeners: the config's, or made now for
 * `hosts` and signed by the local CA.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming `tls.cert` / `tls.key` / `tls.ca` when given ones cannot be read.
 */
export async function _tlsMaterial(config: BrokerTlsConfig | undefined, hosts: readonly string[], now = Date.now()): Promise<TlsMaterial> {
  if (config?.cert !== undefined || config?.key !== undefined) {
    if (typeof config.cert !== 'string' || typeof config.key !== 'string') throw _invalid(config.cert === undefined ? 'tls.cert' : 'tls.key', 'must be given together with the other, as PEM text');
    for (const [field, pem] of [['tls.cert', config.cert], ['tls.ca', config.ca]] as const) {
      if (pem === undefined) continue;
      try {
        new X509Certificate(pem);
      } catch (cause) {
        throw _invalid(field, 'is not a PEM certificate', cause);
      }
    }
    try {
      createPrivateKey(config.key);
    } catch {
      throw _invalid('tls.key', 'is not a PEM private key');
    }
    return { cert: config.cert, key: config.key, ca: config.ca ?? config.cert, caFile: undefined };
  }
  const stateDir = config?.stateDir === undefined ? defaultStateDir() : config.stateDir;
  const ca = await localCa(stateDir, now);
  const leaf = _makeServerCertificate(ca, ['localhost', '127.0.0.1', '::1', ...hosts, ...(config?.hosts ?? [])], now);
  // The chain: the server certificate, then the CA (clients that trust the CA need only the first).
  return { cert: leaf.cert + ca.cert, key: leaf.key, ca: ca.cert, caFile: ca.caFile };
}
