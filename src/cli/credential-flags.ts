/**
 * The flags and variables that describe a client's credentials, declared once for sign, explain
 * and check (each may reword a help line): type, value placeholder, help, and the modes each
 * belongs to. Where each mode's secret and tokens come from is declared here too.
 * @module
 */
import type { AuthMode, TokenType } from '../index.js';
import { HELP_FLAG, type FlagDef, type HelpBlock } from './spec.js';
import { helpRows } from './spec.js';

/** Most a `--*-stdin` flag reads: secrets, tokens and a JSON pair are a few hundred bytes; a larger input is the wrong file. */
export const MAX_STDIN_BYTES = 64 * 1024;

/** Where each signed mode's secret comes from. */
export const SECRET_SOURCES = {
  signature: { env: 'APSARAMQ_ACCESS_KEY_SECRET', flag: '--access-key-secret', field: 'accessKeySecret', what: 'AccessKey secret' },
  device: { env: 'APSARAMQ_DEVICE_ACCESS_KEY_SECRET', flag: '--device-access-key-secret', field: 'deviceAccessKeySecret', what: 'DeviceAccessKeySecret' },
  custom: { env: 'APSARAMQ_CUSTOM_SECRET', flag: '--custom-secret', field: 'secret', what: 'custom identity secret' },
} as const;

/** Token mode: one variable and one flag per token type. */
export const TOKEN_SOURCES: { readonly [T in TokenType]: { env: string; flag: string } } = {
  R: { env: 'APSARAMQ_TOKEN_R', flag: '--token-r' },
  W: { env: 'APSARAMQ_TOKEN_W', flag: '--token-w' },
  RW: { env: 'APSARAMQ_TOKEN_RW', flag: '--token-rw' },
};

/** The flag each builder option is given by, so that an error naming the option names the flag. */
export const FIELD_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  accessKeyId: '--access-key-id',
  deviceAccessKeyId: '--device-access-key-id',
  instanceId: '--instance-id',
  username: '--username',
  signMode: '--sign-mode',
});

/** Every auth mode, in the order help lists them. */
export const MODES: readonly AuthMode[] = ['signature', 'token', 'device', 'custom'];
/** The modes whose Password is signed with a secret. */
export const SIGNED: readonly AuthMode[] = ['signature', 'device', 'custom'];

const ON_COMMAND_LINE = 'works, but warns: the shell history and the process list keep it';

/** The shared table; sections are `Client`, `Secrets`, `Output` and `Help`. */
export const CREDENTIAL_FLAGS = {
  mode: { type: 'string', value: '<mode>', help: 'signature (default), token, device (or DeviceCredential) or custom; any case', section: 'Client' },
  'access-key-id': { type: 'string', value: '<id>', help: 'the AccessKey ID', section: 'Client', modes: ['signature', 'token'] },
  'device-access-key-id': { type: 'string', value: '<id>', help: 'the DeviceAccessKeyId', section: 'Client', modes: ['device'] },
  'instance-id': { type: 'string', value: '<id>', help: 'the instance id (mqtt-cn-…)', section: 'Client', modes: ['signature', 'token', 'device'] },
  'client-id': { type: 'string', value: '<id>', help: 'the client id: <GroupId>@@@<DeviceId>', section: 'Client', modes: SIGNED },
  'group-id': { type: 'string', value: '<id>', help: 'the client id in two parts: the GroupId, with --device-id', section: 'Client', modes: SIGNED },
  'device-id': { type: 'string', value: '<id>', help: 'the DeviceId, with --group-id', section: 'Client', modes: SIGNED },
  username: { type: 'string', value: '<name>', help: "the custom identity's username", section: 'Client', modes: ['custom'] },
  'sign-mode': { type: 'string', value: 'ORIGIN|SIGNED', help: 'ORIGIN (the Password is the secret) or SIGNED (Base64 HMAC-SHA1 of the client id)', section: 'Client', modes: ['custom'] },
  'secret-stdin': { type: 'boolean', help: `read the secret from standard input (one trailing newline is dropped; at most ${MAX_STDIN_BYTES / 1024} KiB)`, section: 'Secrets', modes: SIGNED },
  'access-key-secret': { type: 'string', value: '<secret>', help: ON_COMMAND_LINE, section: 'Secrets', modes: ['signature'] },
  'device-access-key-secret': { type: 'string', value: '<secret>', help: ON_COMMAND_LINE, section: 'Secrets', modes: ['device'] },
  'custom-secret': { type: 'string', value: '<secret>', help: ON_COMMAND_LINE, section: 'Secrets', modes: ['custom'] },
  'token-r': { type: 'string', value: '<token>', help: `an R token; ${ON_COMMAND_LINE}`, section: 'Secrets', modes: ['token'] },
  'token-w': { type: 'string', value: '<token>', help: 'a W token; the same', section: 'Secrets', modes: ['token'] },
  'token-rw': { type: 'string', value: '<token>', help: 'an RW token; the same', section: 'Secrets', modes: ['token'] },
  json: { type: 'boolean', help: 'one JSON object instead of lines for people', section: 'Output' },
  help: HELP_FLAG,
} as const satisfies Record<string, FlagDef>;

/** The shared table without the names given, e.g. explain has no use for tokens. */
export function credentialFlagsWithout(...names: (keyof typeof CREDENTIAL_FLAGS)[]): Record<string, FlagDef> {
  return Object.fromEntries(Object.entries(CREDENTIAL_FLAGS).filter(([name]) => !(names as string[]).includes(name)));
}

/** "Secrets from the environment" for the modes given: the variables each mode reads. */
export function secretVariablesBlock(modes: readonly AuthMode[]): HelpBlock {
  const rows: [string, string][] = [];
  for (const mode of modes) {
    if (mode === 'token') {
      for (const [type, { env }] of Object.entries(TOKEN_SOURCES)) rows.push([env, `${type === 'W' ? 'a' : 'an'} ${type} token (from ApplyToken) [token]`]);
    } else {
      rows.push([SECRET_SOURCES[mode].env, `the ${SECRET_SOURCES[mode].what} [${mode}]`]);
    }
  }
  return { title: 'Secrets from the environment (never needed on the command line)', lines: helpRows(rows) };
}
