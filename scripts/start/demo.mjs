/**
 * Starts everything `npm start` runs, for either target (see settings.mjs), and returns what to
 * print and how to stop it. Imports the built package (`apsaramq-mqtt-auth`, `/server`, `/broker`
 * resolve to `dist/` through the package's own `exports`), so it is loaded after the build.
 */
import { join } from 'node:path';
import { startChild } from './child.mjs';
import { createDemoCredentials } from './credentials.mjs';
import { PATHS, startWebServer } from './web.mjs';

/**
 * Starts the local broker with the demo identities: what `startBroker` serves by default (MQTT over
 * TCP, TLS, WebSocket and WebSocket on TLS, the OpenAPI and the control API), on the demo's ports.
 */
async function startLocalBroker(root, settings, log) {
  const { loadBrokerConfig, startBroker } = await import('apsaramq-mqtt-auth/broker');
  const config = await loadBrokerConfig(join(root, 'examples/broker.json'));
  const { tcp, tls, ws, wss, http } = settings.brokerPorts;
  let broker;
  try {
    // controlSecret is named: a spread leaves out the config's secrets (kept out of enumeration).
    broker = await startBroker({ ...config, controlSecret: config.controlSecret, tcpPort: tcp, tlsPort: tls, wsPort: ws, wssPort: wss, httpPort: http });
  } catch (error) {
    const variables = { tcpPort: 'DEMO_TCP_PORT', tlsPort: 'DEMO_TLS_PORT', wsPort: 'DEMO_WS_PORT', wssPort: 'DEMO_WSS_PORT', httpPort: 'DEMO_HTTP_PORT' };
    const hint = error?.field ? `; set ${variables[error.field] ?? 'DEMO_*_PORT'} to another port` : '';
    throw new Error(`the local broker could not start: ${error.message}${hint}`, { cause: error });
  }
  broker.on('clientConnected', (s) => log(`[broker] connected ${s.clientId} (${s.mode})`));
  broker.on('clientRefused', (r) => log(`[broker] refused ${r.clientId}: ${r.reason} (code ${r.returnCode})`));
  broker.on('denied', (d) => log(`[broker] denied ${d.clientId}: ${d.action} ${d.topic} (${d.denial})`));
  broker.on('discarded', (d) => log(`[broker] discarded ${d.clientId}: ${d.topic}, ${d.bytes} bytes (over the message size limit)`));
  broker.on('notice', (n) => log(`[broker] ${n.topic} to ${n.clientId}: ${JSON.stringify(n.payload)}`));
  broker.on('tokenInstalled', (t) => log(`[broker] ${t.clientId} uploaded a new ${t.type} token (in band, no reconnect)`));
  broker.on('clientDisconnected', (d) => log(`[broker] disconnected ${d.clientId}`));
  return { broker, accessKey: config.accessKeys[0] };
}

/** The environment of the node-service child: where to connect, never more secrets than it needs. */
function serviceEnv(env, settings, broker) {
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('APSARAMQ_')));
  if (broker) return { ...own, APSARAMQ_HOST: broker.host, APSARAMQ_PORT: String(broker.tcpPort), APSARAMQ_PARENT_TOPIC: settings.parentTopic };
  const instance = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('APSARAMQ_') && !/^APSARAMQ_(WS_|OPENAPI_|REGION_)/.test(name)));
  return { ...own, ...instance, APSARAMQ_GROUP_ID: settings.groupId, APSARAMQ_PARENT_TOPIC: settings.parentTopic };
}

/**
 * @param {ReturnType<typeof import('./settings.mjs').readStartSettings>} settings
 * @param {{ root: string, env: Record<string, string | undefined>, log: (line: string) => void }} context
 * @returns {Promise<{ summary: string[], pages: [string, string][], stop: () => Promise<void> }>}
 */
export async function startDemo(settings, { root, env, log }) {
  const stops = [];
  const stop = async () => {
    // Last started, first stopped: the service disconnects before the broker goes away.
    for (const fn of stops.reverse()) await fn().catch((error) => log(`while stopping: ${error?.message ?? error}`));
    stops.length = 0;
  };
  try {
    let broker;
    let accessKey;
    if (settings.target === 'local') {
      ({ broker, accessKey } = await startLocalBroker(root, settings, log));
      stops.push(() => broker.close());
    }
    const credentials = createDemoCredentials({
      instanceId: settings.instanceId,
      accessKeyId: broker ? accessKey.accessKeyId : settings.accessKeyId,
      accessKeySecret: broker ? accessKey.accessKeySecret : env[settings.accessKeyVariables.secret],
      ...(broker || !env[settings.accessKeyVariables.token] ? {} : { securityToken: env[settings.accessKeyVariables.token] }),
      openApi: broker ? { endpoint: `${broker.url('http')}/` } : settings.openApi,
      groupId: settings.groupId,
      parentTopic: settings.parentTopic,
      tokenTtl: settings.tokenTtl,
      log: (line) => log(`[credentials] ${line}`),
    });
    const connect = broker
      ? { transport: 'ws', host: broker.host, port: broker.wsPort, path: broker.wsPath }
      : { transport: settings.pages.transport, host: settings.host, port: settings.pages.port, path: settings.pages.path };
    const targetName = broker ? `the local broker (instance ${settings.instanceId})` : `ApsaraMQ instance ${settings.instanceId}`;
    const web = await startWebServer({
      root,
      port: settings.webPort,
      credentials,
      log,
      pageConfig: {
        target: settings.target,
        targetName,
        instanceId: settings.instanceId,
        groupId: settings.groupId,
        topic: credentials.permission.resources[0],
        connect,
        credentialsUrl: PATHS.credentials,
        demo: { rotate: PATHS.rotate, revoke: PATHS.revoke },
      },
    });
    stops.push(() => web.close());
    const service = startChild({ script: join(root, 'examples/node-service/service.mjs'), env: serviceEnv(env, settings, broker), log });
    stops.push(() => service.stop());

    const wsUrl = `${connect.transport}://${connect.host}:${connect.port}${connect.path}`;
    const summary = [
      `apsaramq-mqtt-auth demo against ${targetName}`,
      ...(broker
        ? [
            `  MQTT over TCP        ${broker.url('tcp')}`,
            `  MQTT over TLS        ${broker.url('tls')}`,
            `  MQTT over WebSocket  ${broker.url('ws')}`,
            `  WebSocket over TLS   ${broker.url('wss')}`,
            `  TLS CA certificate   ${broker.caFile ?? '(in memory for this run)'}  (trust it in clients: ca / --cafile)`,
            `  onsmqtt OpenAPI      ${broker.url('http')}/`,
            // Printed, not served: the control API hands out device secrets and tokens, so only who
            // reads this terminal may use it (the pages' own actions go through the signed OpenAPI).
            `  control API          ${broker.url('http')}/control  (Authorization: Bearer ${broker.controlSecret})`,
          ]
        : [`  MQTT over WebSocket  ${wsUrl}  (pages)`, `  OpenAPI              ${settings.openApi.endpoint ?? `region ${settings.openApi.regionId}`}  (ApplyToken)`]),
      `  credential server    ${web.url(PATHS.credentials)}  (Token, R on ${credentials.permission.resources[0]}; no secret reaches a page)`,
      `  node-service         publishes ${settings.parentTopic}/<device>/telemetry (QoS 1), see its lines below`,
    ];
    const pages = [
      ['Start page', web.url('/')],
      ['Dashboard', web.url('/dashboard/')],
      ['Script-tag page', web.url('/script-tag/')],
      ['Signature tool', web.url('/signature-tool/')],
    ];
    return { summary, pages, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
