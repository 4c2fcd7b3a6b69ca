#!/usr/bin/env node
/**
 * An HTTP-authentication endpoint for ApsaraMQ for MQTT (upgraded instances) and the local broker.
 * On each CONNECT the instance POSTs {"username", "password", "clientId"}; this endpoint answers
 * {"result": "allow" | "deny", "expireAt"?, "acl"?} as the "HTTP authentication" page documents it,
 * through the SDK's createHttpAuthHandler (which checks the request and never sends an answer the
 * instance would reject: more than 10 rules or 4 KB).
 *
 * Who may connect (accounts.mjs):
 * - a meter `meter-N` whose password is Base64(HMAC-SHA1(its secret, clientId)) and whose client id's
 *   device part is its own name: publish to meters/<name>/up, subscribe to meters/<name>/down, for an hour;
 * - the back-office service with valid Signature-mode credentials: publish and subscribe on meters/#.
 * Everyone else is denied.
 *
 *   node examples/http-auth/endpoint.mjs            # HTTP_AUTH_PORT (default 8090) on 127.0.0.1
 */
import { createServer } from 'node:http';
import { customCredentials, parseClientId, signatureCredentials, validateClientId } from 'apsaramq-mqtt-auth';
import { createHttpAuthHandler, credentialsMatch, toNodeListener } from 'apsaramq-mqtt-auth/server';
import { BACK_OFFICE, INSTANCE_ID, METERS, SESSION_MS } from './accounts.mjs';

const log = (line) => process.stdout.write(`[http-auth] ${line}\n`);

/** The verdict for one CONNECT. */
async function authenticate({ username, password, clientId }) {
  if (!validateClientId(clientId).valid) return { result: 'deny' };
  const meterSecret = Object.hasOwn(METERS, username) ? METERS[username] : undefined;
  if (meterSecret !== undefined) {
    const expected = await customCredentials({ username, secret: meterSecret, clientId, signMode: 'SIGNED' });
    // A meter connects as itself only: GID_meters@@@meter-1 for meter-1.
    if (!credentialsMatch({ username, password }, expected) || parseClientId(clientId).deviceId !== username) return { result: 'deny' };
    return {
      result: 'allow',
      expireAt: Date.now() + SESSION_MS,
      acl: [
        { effect: 'allow', action: ['publish'], topic: `meters/${username}/up` },
        { effect: 'allow', action: ['subscribe'], topic: `meters/${username}/down` },
      ],
    };
  }
  const signature = await signatureCredentials({ ...BACK_OFFICE, instanceId: INSTANCE_ID, clientId });
  if (credentialsMatch({ username, password }, signature)) {
    return { result: 'allow', acl: [{ effect: 'allow', action: ['publish', 'subscribe'], topic: 'meters/#' }] };
  }
  return { result: 'deny' };
}

const handler = createHttpAuthHandler({
  authenticate: async (credentials) => {
    const verdict = await authenticate(credentials);
    // Never log a password: the username and client id say who it was.
    log(`${credentials.clientId} as ${JSON.stringify(credentials.username)}: ${verdict.result}`);
    return verdict;
  },
  onError: (error) => log(`authenticate failed: ${error?.message ?? error}`),
});

const port = Number(process.env.HTTP_AUTH_PORT ?? 8090);
const server = createServer(toNodeListener(handler));
server.listen(port, '127.0.0.1', () => log(`listening on http://127.0.0.1:${server.address().port}/mqtt/auth`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
  });
}
