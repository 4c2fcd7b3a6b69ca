#!/usr/bin/env node
/**
 * A meter connecting through HTTP authentication: its credentials are its own (username and a signed
 * password, computed with the SDK's customCredentials); what it may do is what the endpoint's ACL
 * rules allow. It shows, against a broker configured with the endpoint (broker.json):
 *   1. a CONNECT the endpoint allows, a SUBSCRIBE and a PUBLISH within its rules;
 *   2. a PUBLISH outside its rules, which the broker answers by disconnecting it;
 *   3. a CONNECT the endpoint denies (meter-1's password with another meter's client id).
 *
 *   node examples/http-auth/client.mjs     # BROKER_URL, default mqtt://127.0.0.1:1893 (broker.json)
 * Exit code 0 when all three behaved as described, 1 otherwise.
 */
import mqtt from 'mqtt';
import { customCredentials } from 'apsaramq-mqtt-auth';
import { METERS } from './accounts.mjs';

const url = process.env.BROKER_URL ?? 'mqtt://127.0.0.1:1893';
const log = (line) => process.stdout.write(`[meter-1] ${line}\n`);
const options = { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 };
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms).unref())]);

async function meter(clientId) {
  const credentials = await customCredentials({ username: 'meter-1', secret: METERS['meter-1'], clientId, signMode: 'SIGNED' });
  return mqtt.connectAsync(url, { ...options, clientId, ...credentials });
}

let ok = true;
const expect = (condition, line) => {
  log(`${condition ? 'ok  ' : 'FAIL'} ${line}`);
  ok &&= condition;
};

// 1. Allowed: connect, subscribe to its down topic, publish to its up topic.
const client = await meter('GID_meters@@@meter-1');
expect(client.connected, 'connected (the endpoint answered allow)');
const [granted] = await client.subscribeAsync('meters/meter-1/down', { qos: 1 });
expect(granted?.qos === 1, 'subscribed to meters/meter-1/down (an allow rule for subscribe)');
await client.publishAsync('meters/meter-1/up', JSON.stringify({ kWh: 42.1 }), { qos: 1 });
expect(true, 'published to meters/meter-1/up (an allow rule for publish)');

// 2. Outside its rules: the broker refuses the PUBLISH by closing the connection.
const closed = new Promise((resolve) => client.once('close', resolve));
client.publish('meters/meter-2/up', 'not mine', { qos: 1 }, () => {});
await withTimeout(closed, 5000, 'disconnect after a denied publish').then(
  () => expect(true, 'publishing to meters/meter-2/up closed the connection (no rule allows it)'),
  (error) => expect(false, error.message),
);
client.end(true);

// 3. Denied: the right password for the wrong client id.
try {
  const wrong = await meter('GID_meters@@@meter-2');
  wrong.end(true);
  expect(false, 'connecting as GID_meters@@@meter-2 should have been refused');
} catch (error) {
  expect(error.code === 5, `connecting as GID_meters@@@meter-2 was refused (CONNACK ${error.code}: the endpoint answered deny)`);
}

process.exitCode = ok ? 0 : 1;
