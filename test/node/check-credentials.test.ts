/**
 * The decisions behind the CLI's `check`, on the sources: which part of a pair differs, and which
 * slip re-signing reproduces. (The binary itself is run in e2e/cli.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { checkCredentials, notBase64, type CheckCredentialsOptions, type CredentialCheck } from '../../src/cli/check-credentials.js';
import { usernameAsMeant } from '../../src/cli/username-meant.js';
import { explainSignature, signatureCredentials } from '../../src/index.js';
import { DOC_VECTOR } from '../helpers/vectors.js';
import { SECRET } from '../suites/api.js';

const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;

describe('checkCredentials', () => {
  const check = (over: Partial<CheckCredentialsOptions>) =>
    checkCredentials({ username, password, secret: accessKeySecret, clientId, mode: 'signature', accessKeyId, instanceId, ...over });
  const statusOf = (r: CredentialCheck) => Object.fromEntries(r.parts.map((p) => [p.part, p.status]));

  it('matches the documentation vector part by part', async () => {
    const r = await check({});
    expect(r.match).toBe(true);
    expect(statusOf(r)).toEqual({ mode: 'ok', accessKeyId: 'ok', instanceId: 'ok', password: 'ok' });
  });

  it('without expectations, reads mode and ids from the Username and checks the Password only', async () => {
    const r = await checkCredentials({ username, password, secret: accessKeySecret, clientId });
    expect(r).toMatchObject({ match: true, mode: 'signature' });
    expect(statusOf(r)).toEqual({ mode: 'unchecked', accessKeyId: 'unchecked', instanceId: 'unchecked', password: 'ok' });
  });

  it.each([
    ['mode', { username: `Token|${accessKeyId}|${instanceId}` }],
    ['accessKeyId', { accessKeyId: 'ZZZZZ' }],
    ['instanceId', { instanceId: 'mqtt-other' }],
    ['password', { clientId: 'GID_Test@@@0002' }],
  ] as const)('names %s when only it differs', async (part, over) => {
    const r = await check(over);
    expect(r.match).toBe(false);
    expect(r.parts.filter((p) => p.status === 'differs').map((p) => p.part)).toEqual([part]);
  });

  it('a different client id gets the generic hint', async () => {
    const r = await check({ clientId: 'GID_Test@@@0002' });
    expect(r.parts.at(-1)!.hints.join(' ')).toMatch(/signed a different client id/);
  });

  it('a secret with a trailing newline given here is named as the cause', async () => {
    const r = await check({ secret: accessKeySecret + '\n' });
    expect(r.parts.at(-1)!.hints.join(' ')).toMatch(/without white space at its ends.*trailing newline/);
  });

  it('recognises the common slips by re-signing', async () => {
    const sign = async (key: string, message: string) => (await signatureCredentials({ accessKeyId, instanceId, accessKeySecret: key, clientId: message })).password;
    const hex = (await explainSignature({ clientId, secret: accessKeySecret })).hmacHex;
    const cases: [string, RegExp][] = [
      [await sign(accessKeySecret + '\n', clientId), /newline after the secret/],
      [await sign(accessKeySecret + '\r\n', clientId), /CR LF after the secret/],
      [hex, /hex digest/],
      [password.replace(/=$/, ''), /base64url or lacks its "=" padding/],
      [accessKeySecret, /the secret itself/],
      ['not base64!', /not Base64/],
    ];
    for (const [pw, hint] of cases) {
      const r = await check({ password: pw });
      expect(r.parts.at(-1)!.hints.join(' '), pw).toMatch(hint);
    }
  });

  it('names key/message swaps, AccessKey ID as key, and partial messages', async () => {
    const mac = async (key: string, message: string) => (await explainSignature({ clientId: message, secret: key })).hmacBase64;
    const cases: [string, RegExp][] = [
      [await mac(clientId, accessKeySecret), /key and message are swapped/],
      [await mac(accessKeyId, clientId), /AccessKey ID as the key/],
      [await mac(accessKeySecret, 'GID_Test'), /GroupId only/],
      [await mac(accessKeySecret, '0001'), /DeviceId only/],
      [await mac(accessKeySecret, username), /over the Username/],
    ];
    for (const [pw, hint] of cases) expect((await check({ password: pw })).parts.at(-1)!.hints.join(' ')).toMatch(hint);
  });

  it('a right digest in hex is "the wrong text form", not a different signature', async () => {
    const { hmacHex } = await explainSignature({ clientId, secret: accessKeySecret });
    const last = (await check({ password: hmacHex })).parts.at(-1)!;
    expect(last.detail).toMatch(/right digest in the wrong text form/);
  });

  it('token mode: checks the layout, and the tokens when given', async () => {
    const tokenUser = `Token|${accessKeyId}|${instanceId}`;
    const ok = await checkCredentials({ username: tokenUser, password: `R|${SECRET}|W|t2`, tokens: { R: SECRET, W: 't2' } });
    expect(ok.match).toBe(true);
    const unchecked = await checkCredentials({ username: tokenUser, password: `RW|${SECRET}` });
    expect(statusOf(unchecked).password).toBe('unchecked');
    const order = await checkCredentials({ username: tokenUser, password: `W|t2|R|${SECRET}`, tokens: { R: SECRET, W: 't2' } });
    expect(order.parts.at(-1)!.hints[0]).toMatch(/another order: write them as R, W/);
    const bad = await checkCredentials({ username: tokenUser, password: `X|${SECRET}` });
    expect(bad.match).toBe(false);
    for (const r of [ok, unchecked, order, bad]) expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('custom identities: SIGNED and ORIGIN', async () => {
    expect((await checkCredentials({ username: 'dash', password, clientId, secret: accessKeySecret })).match).toBe(true);
    const origin = await checkCredentials({ username: 'dash', password: SECRET, secret: SECRET, signMode: 'ORIGIN' });
    expect(origin.match).toBe(true);
    const originBad = await checkCredentials({ username: 'dash', password: SECRET + '\n', secret: SECRET, signMode: 'ORIGIN' });
    expect(originBad.parts.at(-1)!.hints[0]).toMatch(/white space/);
  });

  it('a malformed Username is its own differing part', async () => {
    const r = await check({ username: `signature|${accessKeyId}` });
    expect(r.parts.find((p) => p.part === 'username')!.detail).toMatch(/"Signature".*3/);
    expect(r.match).toBe(false);
  });

  it.each([
    ['Signature|YYYYY|mqtt-xxxxx', 'signature', []],
    ['signature|YYYYY|mqtt-xxxxx', 'signature', [/starts with "signature"/]],
    ['SIGNATURE|YYYYY|mqtt-xxxxx', 'signature', [/starts with "SIGNATURE"/]],
    [' Token |YYYYY|mqtt-xxxxx', 'token', [/starts with " Token "/]],
    ['Signatrue|YYYYY|mqtt-xxxxx', 'signature', [/starts with "Signatrue"; ApsaraMQ expects exactly "Signature"/]],
    ['Tokens|YYYYY|mqtt-xxxxx', 'token', [/expects exactly "Token"/]],
    ['DeviceCredentail|dak|mqtt-xxxxx', 'device', [/expects exactly "DeviceCredential"/]],
    ['Signature:YYYYY:mqtt-xxxxx', 'signature', [/separates its parts with ":"/]],
    ['Signature YYYYY mqtt-xxxxx', 'signature', [/separates its parts with white space/]],
    ['Token,YYYYY', 'token', [/separates its parts with ","/, /has 2 ","-separated parts; Token mode needs 3/]],
    ['Signature|YYYYY', 'signature', [/has 2 "\|"-separated parts/]],
  ] as const)('reads %j as meant for %s mode, naming each slip', (name, mode, problems) => {
    const parsed = usernameAsMeant(name);
    expect(parsed).toMatchObject({ mode, labelled: true, accessKeyId: name.includes('dak') ? 'dak' : 'YYYYY' });
    expect(parsed.problems).toHaveLength(problems.length);
    problems.forEach((problem, i) => expect(parsed.problems[i]).toMatch(problem));
  });

  it.each(['dash', 'demo-signed-user', 'token-user', 'Signature', 'Device gateway', 'Tokyo|a|b', 'YYYYY|mqtt-xxxxx', 'Signer:x'])(
    'leaves %j to custom identities',
    (name) => {
      expect(usernameAsMeant(name)).toEqual({ mode: 'custom', labelled: false, problems: [] });
    },
  );

  it('a misformed Username of a known mode: the mode part says "seems meant for", the username part how to write it', async () => {
    const r = await checkCredentials({ username: `signature:${accessKeyId}:${instanceId}`, password, secret: accessKeySecret, clientId });
    expect(r.mode).toBe('signature');
    expect(r.parts.find((p) => p.part === 'mode')!.detail).toBe('the Username seems meant for Signature mode');
    expect(r.parts.find((p) => p.part === 'username')!.hints).toEqual([`write it as "${username}"`]);
    expect(r.parts.find((p) => p.part === 'password')!.status).toBe('ok');
  });

  it.each([
    ['vI009IZJZVGRwBwZvnbw!fuXxVM=', 'the Password has 28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it has a character at position 21, outside the Base64 alphabet (A-Z a-z 0-9 + /)'],
    ['vI009IZJZVGRwBwZvnbw fuXxVM=', 'the Password has 28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it has white space at position 21, outside the Base64 alphabet (A-Z a-z 0-9 + /)'],
    ['vI009IZJZVGRwBwZ=nbwjfuXxVM=', 'the Password has 28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it has "=" at position 17; Base64 has "=" only as one or two padding characters at the end'],
    ['vI009IZJZVGRwBwZvnbwjfuXxVN=', 'the Password has 28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it ends in a character whose spare bits are not zero: no Base64 encoder writes that (a character changed by hand?)'],
    ['not base64!', 'the Password is not Base64 (an HMAC-SHA1 in Base64 is 28 characters ending in "="): it has white space at position 4, outside the Base64 alphabet (A-Z a-z 0-9 + /)'],
    ['abcde', 'the Password is not Base64 (an HMAC-SHA1 in Base64 is 28 characters ending in "="): it has 5 characters; Base64 comes in groups of 4 (with "=" padding)'],
  ])('says exactly why %j is not Base64, without repeating it', async (text, reason) => {
    expect(notBase64(text)).toBe(reason);
    expect((await check({ password: text })).parts.at(-1)!.hints).toContain(reason);
  });

  it('never puts the secret or the password in its result', async () => {
    const r = await checkCredentials({ username, password: SECRET + 'x', secret: SECRET, clientId, mode: 'signature' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('refuses missing inputs, naming the field', async () => {
    await expect(checkCredentials({ username, password, clientId })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'secret' });
    await expect(checkCredentials({ username, password, secret: 'x' })).rejects.toMatchObject({ field: 'clientId' });
  });
});
