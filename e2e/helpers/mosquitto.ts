/**
 * Debian's mosquitto, started by a test on free loopback ports: an MQTT listener and a WebSocket
 * listener, no anonymous access, a password file made with `mosquitto_passwd` from credentials the
 * SDK computed. An independent broker judging our bytes on the wire.
 *
 * Started as root, mosquitto drops to the `mosquitto` user before it reads the password file, so
 * the temporary directory is traversable and the files are handed to that user.
 * @module
 */
import { execFile } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { accepts, freePorts } from './ports.js';
import { atExit, startProcess, type StartedProcess } from './process.js';
import { pollUntil } from './wait.js';

const run = promisify(execFile);

/** Where Debian installs the broker and its password tool. */
export const MOSQUITTO = process.env.MOSQUITTO_PATH ?? '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = process.env.MOSQUITTO_PASSWD_PATH ?? '/usr/bin/mosquitto_passwd';
/** mosquitto's dynamic-security plugin (Debian's package ships it), for ACLs checked at SUBSCRIBE. */
export const MOSQUITTO_DYNSEC =
  process.env.MOSQUITTO_DYNSEC_PATH ??
  ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) => existsSync(p)) ??
  '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

/** What one account may do, when the broker runs with an ACL (topic filters; everything else is denied). */
export interface MosquittoGrant {
  username: string;
  subscribe?: readonly string[];
  publish?: readonly string[];
}

/** One account in mosquitto's password file. */
export interface MosquittoUser {
  username: string;
  password: string;
}

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** Accounts the broker accepts; usually Username/Password pairs made by the SDK. */
  users: readonly MosquittoUser[];
  /** Milliseconds to wait for both listeners (default 10 s). */
  startTimeout?: number;
  /**
   * Also listen for MQTT over TLS, with a self-signed certificate for `127.0.0.1` made by `openssl`
   * (clients trust it through {@link Mosquitto.caFile}).
   */
  tls?: boolean;
  /**
   * Topic permissions per account. With them, mosquitto runs its dynamic-security plugin (in place
   * of the password file; it checks the same users) and refuses what is not granted: a SUBSCRIBE
   * with SUBACK 0x80 (0x87 under MQTT 5), a QoS 1 PUBLISH with PUBACK 0x87 under MQTT 5. (Its plain
   * `acl_file` grants every subscription and only filters deliveries.)
   */
  acl?: readonly MosquittoGrant[];
}

/** One CONNACK mosquitto sent, read from its debug log. */
export interface Connack {
  /** Client id, or the peer address when the connection was refused before it had one. */
  to: string;
  /** CONNACK return code (MQTT 3.1.1) or reason code (MQTT 5); 0 is success. */
  code: number;
}

/** A running mosquitto. */
export interface Mosquitto {
  readonly host: '127.0.0.1';
  /** The `protocol mqtt` listener. */
  readonly tcpPort: number;
  /** The `protocol websockets` listener (mosquitto serves MQTT on any path, `/mqtt` included). */
  readonly wsPort: number;
  /** `ws://127.0.0.1:<wsPort>/mqtt`. */
  readonly wsUrl: string;
  /** The MQTT-over-TLS listener, with `tls: true`. */
  readonly tlsPort?: number;
  /** The PEM certificate of the TLS listener (self-signed: it is its own CA), with `tls: true`. */
  readonly caFile?: string;
  /** The broker's log so far (`log_type all` on stderr). */
  log(): string;
  /** Every CONNACK sent so far, in order. */
  connacks(): Connack[];
  /** Kills the broker (bounded) and removes its temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

async function mosquittoOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined; // not root: mosquitto keeps our user and reads our files
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('mosquitto:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

async function writePasswordFile(file: string, users: readonly MosquittoUser[]): Promise<void> {
  await writeFile(file, '', { mode: 0o600 });
  for (const { username, password } of users) {
    // The file is `user:hash` per line; mosquitto_passwd refuses a colon, say so before it does.
    if (username.includes(':')) throw new Error(`mosquitto cannot hold a username with ":" (${JSON.stringify(username)})`);
    await run(MOSQUITTO_PASSWD, ['-b', file, username, password], { timeout: 10_000 });
  }
}

/**
 * The dynamic-security plugin's state file: the users (PBKDF2-SHA512 hashes, as `mosquitto_ctrl
 * dynsec` writes them), one role per granted user, and deny by default for SUBSCRIBE and PUBLISH.
 */
function dynsecConfig(users: readonly MosquittoUser[], grants: readonly MosquittoGrant[]): string {
  const iterations = 101;
  const clients = users.map(({ username, password }) => {
    const salt = randomBytes(12);
    const grant = grants.find((g) => g.username === username);
    return {
      username,
      password: pbkdf2Sync(password, salt, iterations, 64, 'sha512').toString('base64'),
      salt: salt.toString('base64'),
      iterations,
      roles: grant ? [{ rolename: `role-${grants.indexOf(grant)}` }] : [],
    };
  });
  const roles = grants.map((g, i) => ({
    rolename: `role-${i}`,
    acls: [
      ...(g.subscribe ?? []).map((topic) => ({ acltype: 'subscribePattern', topic, allow: true })),
      ...(g.publish ?? []).map((topic) => ({ acltype: 'publishClientSend', topic, allow: true })),
    ],
  }));
  const defaultACLAccess = { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true };
  return JSON.stringify({ clients, roles, groups: [], defaultACLAccess }, null, 2);
}

/** A self-signed certificate and key for 127.0.0.1, valid for a day, in `dir`. */
async function writeCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { timeout: 10_000 },
  );
  return { certFile, keyFile };
}

function config(dir: string, tcpPort: number, wsPort: number, tls?: { port: number; certFile: string; keyFile: string }, acl?: boolean): string {
  return [
    'per_listener_settings false',
    'allow_anonymous false',
    ...(acl ? [`plugin ${MOSQUITTO_DYNSEC}`, `plugin_opt_config_file ${join(dir, 'dynsec.json')}`] : [`password_file ${join(dir, 'passwd')}`]),
    'persistence false',
    'log_dest stderr',
    'log_type all',
    'connection_messages true',
    `listener ${tcpPort} 127.0.0.1`,
    'protocol mqtt',
    `listener ${wsPort} 127.0.0.1`,
    'protocol websockets',
    ...(tls ? [`listener ${tls.port} 127.0.0.1`, 'protocol mqtt', `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`] : []),
    '',
  ].join('\n');
}

const CONNACK = /Sending CONNACK to (\S+) \((\d+), (\d+)\)/g;

async function launch(
  dir: string,
  startTimeout: number,
  certificate?: { certFile: string; keyFile: string },
  acl?: boolean,
): Promise<{ broker: StartedProcess; tcpPort: number; wsPort: number; tlsPort?: number }> {
  const [tcpPort, wsPort, tlsPort] = (await freePorts(certificate ? 3 : 2)) as [number, number, number?];
  const file = join(dir, 'mosquitto.conf');
  await writeFile(file, config(dir, tcpPort, wsPort, certificate && { port: tlsPort!, ...certificate }, acl), { mode: 0o644 });
  const broker = startProcess(MOSQUITTO, ['-c', file], { name: 'mosquitto' });
  try {
    await broker.waitForOutput(/mosquitto version \S+ running/, { timeout: startTimeout, stream: 'stderr' });
    const ports = tlsPort === undefined ? [tcpPort, wsPort] : [tcpPort, wsPort, tlsPort];
    await pollUntil(async () => (await Promise.all(ports.map((p) => accepts(p)))).every(Boolean), { timeout: startTimeout, what: `mosquitto on ports ${ports.join('/')}` });
    return tlsPort === undefined ? { broker, tcpPort, wsPort } : { broker, tcpPort, wsPort, tlsPort };
  } catch (error) {
    await broker.stop({ timeout: 2000 });
    throw Object.assign(error as Error, { inUse: /Address already in use/i.test(broker.stderr()) });
  }
}

/**
 * Starts mosquitto with an MQTT and a WebSocket listener on free loopback ports, accepting only
 * `users`. Resolves once both ports accept connections. Retries with new ports if another process
 * took one between picking and binding.
 */
export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const { users, startTimeout = 10_000, tls = false, acl } = options;
  const dir = await mkdtemp(join(tmpdir(), 'apsaramq-mosquitto-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const removeDir = async () => {
    await rm(dir, { recursive: true, force: true });
    forget();
  };
  try {
    await chmod(dir, 0o711); // traversable by the mosquitto user, not listable
    const passwd = join(dir, 'passwd');
    await writePasswordFile(passwd, users);
    const certificate = tls ? await writeCertificate(dir) : undefined;
    // The plugin writes its state file back, so it belongs to the broker's user like the others.
    const dynsec = join(dir, 'dynsec.json');
    if (acl) await writeFile(dynsec, dynsecConfig(users, acl), { mode: 0o600 });
    const owner = await mosquittoOwner();
    const owned = [passwd, ...(certificate ? [certificate.keyFile, certificate.certFile] : []), ...(acl ? [dynsec] : [])];
    if (owner) for (const file of owned) await chown(file, owner.uid, owner.gid);
    let started: Awaited<ReturnType<typeof launch>> | undefined;
    for (let attempt = 1; !started; attempt++) {
      try {
        started = await launch(dir, startTimeout, certificate, acl !== undefined);
      } catch (error) {
        if (!(error as { inUse?: boolean }).inUse || attempt >= 3) throw error;
      }
    }
    const { broker, tcpPort, wsPort, tlsPort } = started;
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      tcpPort,
      wsPort,
      wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
      ...(certificate ? { tlsPort, caFile: certificate.certFile } : {}),
      log: () => broker.stderr(),
      connacks: () => [...broker.stderr().matchAll(CONNACK)].map((m) => ({ to: m[1]!, code: Number(m[3]) })),
      stop: () =>
        (stopped ??= (async () => {
          try {
            await broker.stop({ timeout: 5000 });
          } finally {
            await removeDir();
          }
        })()),
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}
