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
import { _bitString, _boolean, _children, _der, _explicit, _implicit, _integer, _octetString, _oid, _readDer, _sequence, _set, _time, _utf8String } from './der.js';

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
  nameConstraints: '2.5.29.30',
} as const;

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/**
 * The CA lives about two years (it was ten): a copied `key.pem` stops being useful sooner, and the
 * name constraints below bound what it can be used for meanwhile. A stored CA is replaced once less
 * than a leaf's life remains.
 */
const CA_DAYS = 825;
/** A leaf is made at every start: a short life costs nothing. */
const LEAF_DAYS = 90;
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

/** What the CA may sign for: DNS names (each with its subdomains) and IP ranges. */
interface PermittedNames {
  dns: string[];
  /** Address bytes followed by mask bytes (8 for IPv4, 32 for IPv6), as the extension holds them. */
  ip: Buffer[];
}

/** Always permitted: `localhost` (and `*.localhost`), 127.0.0.0/8, ::1. */
const LOOPBACK: PermittedNames = {
  dns: ['localhost'],
  ip: [Buffer.from([127, 0, 0, 0, 255, 0, 0, 0]), Buffer.concat([ipBytes('::1'), Buffer.alloc(16, 0xff)])],
};

/** Listen addresses that name every interface: never a name a client connects to. */
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::']);

/** The names to permit for `hosts`: the loopback ones, each DNS name, each address alone (/32, /128). */
function permittedFor(hosts: readonly string[], also?: PermittedNames): PermittedNames {
  const dns = new Set([...LOOPBACK.dns, ...(also?.dns ?? [])]);
  const ip = new Map([...LOOPBACK.ip, ...(also?.ip ?? [])].map((b) => [b.toString('hex'), b]));
  for (const host of hosts) {
    if (WILDCARD_ADDRESSES.has(host)) continue;
    if (isIP(host)) {
      const bytes = ipBytes(host);
      if (!permits({ dns: [], ip: [...ip.values()] }, host)) ip.set(`${bytes.toString('hex')}`, Buffer.concat([bytes, Buffer.alloc(bytes.length, 0xff)]));
    } else if (!permits({ dns: [...dns], ip: [] }, host)) dns.add(host.toLowerCase());
  }
  return { dns: [...dns], ip: [...ip.values()] };
}

/** Whether `host` falls within the permitted names (RFC 5280 §4.2.1.10: a DNS name covers its subdomains). */
function permits(names: PermittedNames, host: string): boolean {
  if (WILDCARD_ADDRESSES.has(host)) return true;
  if (!isIP(host)) {
    const name = host.toLowerCase();
    return names.dns.some((d) => name === d || name.endsWith(`.${d}`));
  }
  const bytes = ipBytes(host);
  return names.ip.some((range) => {
    if (range.length !== bytes.length * 2) return false;
    for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & range[bytes.length + i]!) !== (range[i]! & range[bytes.length + i]!)) return false;
    return true;
  });
}

/** The Name Constraints extension's value: permittedSubtrees only (RFC 5280 §4.2.1.10). */
function nameConstraints(names: PermittedNames): Buffer {
  const subtrees = [...names.dns.map((d) => _sequence(_implicit(2, Buffer.from(d, 'ascii')))), ...names.ip.map((b) => _sequence(_implicit(7, b)))];
  return _sequence(_der(0xa0, Buffer.concat(subtrees)));
}

/** The permitted names of a CA certificate (DER), or `undefined` when it has no Name Constraints. */
function permittedOf(raw: Uint8Array): PermittedNames | undefined {
  // The OID's contents, without its tag and length bytes.
  const oid = _oid(OID.nameConstraints).subarray(2);
  const tbs = _children(raw, _readDer(raw, 0))[0]!;
  const wrapper = _children(raw, tbs).find((e) => e.tag === 0xa3); // [3] extensions
  if (!wrapper) return undefined;
  for (const extension of _children(raw, _children(raw, wrapper)[0]!)) {
    const parts = _children(raw, extension);
    if (!Buffer.from(raw.subarray(parts[0]!.start, parts[0]!.end)).equals(oid)) continue;
    const value = parts[parts.length - 1]!;
    const constraints = _readDer(raw, value.start);
    const names: PermittedNames = { dns: [], ip: [] };
    for (const list of _children(raw, constraints)) {
      if (list.tag !== 0xa0) return undefined; // excluded subtrees: not one of ours
      for (const subtree of _children(raw, list)) {
        const base = _children(raw, subtree)[0]!;
        const bytes = Buffer.from(raw.subarray(base.start, base.end));
        if (base.tag === 0x82) names.dns.push(bytes.toString('ascii').toLowerCase());
        else if (base.tag === 0x87) names.ip.push(bytes);
      }
    }
    return names;
  }
  return undefined;
}

const newKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemKey = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/**
 * A new local CA (valid {@link CA_DAYS} days): its certificate and key, PEM. Name-constrained: it can
 * sign only for `localhost` (and `*.localhost`), 127.0.0.0/8, ::1 and `hosts` (with `also`, the names
 * a CA it replaces permitted), so whoever reads its `key.pem` cannot mint a certificate for another
 * site this machine trusts it for.
 */
export function _makeCa(now: number, hosts: readonly string[] = [], also?: PermittedNames): { cert: string; key: string } {
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
      // Critical, as RFC 5280 requires of Name Constraints: a client that cannot read it must refuse the CA.
      extension(OID.nameConstraints, true, nameConstraints(permittedFor(hosts, also))),
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

/**
 * A stored CA that is still good for a while, whose key matches and whose Name Constraints permit
 * every one of `hosts`, else `undefined` (a CA made before constraints existed is replaced too).
 */
function usableCa(cert: string, key: string, now: number, hosts: readonly string[]): { cert: string; key: string } | undefined {
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.ca || Date.parse(x509.validTo) < now + LEAF_DAYS * DAY || !x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    const permitted = permittedOf(x509.raw);
    if (!permitted || !hosts.every((h) => permits(permitted, h))) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** The names a stored CA permitted, to keep them when it is replaced for a new host. */
async function storedPermits(certFile: string): Promise<PermittedNames | undefined> {
  try {
    return permittedOf(new X509Certificate(await readFile(certFile, 'utf8')).raw);
  } catch {
    return undefined;
  }
}

/**
 * The local CA in `stateDir` (made there on first use; several brokers starting at once agree on
 * one). `caFile` is `undefined` when the folder cannot be used: the CA then lives for this run only.
 */
async function localCa(stateDir: string | false, now: number, hosts: readonly string[]): Promise<{ cert: string; key: string; caFile: string | undefined }> {
  if (stateDir === false) return { ..._makeCa(now, hosts), caFile: undefined };
  const dir = join(stateDir, 'ca');
  const certFile = join(dir, 'cert.pem');
  const load = async () => usableCa(await readFile(certFile, 'utf8'), await readFile(join(dir, 'key.pem'), 'utf8'), now, hosts);
  try {
    const stored = await load().catch(() => undefined);
    if (stored) return { ...stored, caFile: certFile };
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    // Written beside, then moved into place in one step: a concurrent start either wins or reads the winner's.
    const made = _makeCa(now, hosts, await storedPermits(certFile));
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
    return { ..._makeCa(now, hosts), caFile: undefined };
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
  // A wildcard listen address (0.0.0.0, ::) is no name a client uses: neither the leaf nor the CA names it.
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts, ...(config?.hosts ?? [])])].filter((h) => !WILDCARD_ADDRESSES.has(h));
  const ca = await localCa(stateDir, now, names);
  const leaf = _makeServerCertificate(ca, names, now);
  // The chain: the server certificate, then the CA (clients that trust the CA need only the first).
  return { cert: leaf.cert + ca.cert, key: leaf.key, ca: ca.cert, caFile: ca.caFile };
}
