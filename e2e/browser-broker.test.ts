/**
 * The built bundles in Chromium against the local ApsaraMQ-compatible broker over WebSocket. Unlike
 * mosquitto, this broker verifies the signature itself and enforces token permissions, so the
 * pages' credentials are checked by ApsaraMQ's rules: the script-tag page signs in Signature mode,
 * the ESM page connects in Token mode (the mode for untrusted clients) with a token limited to
 * `web/#`; a password signed with the wrong secret is refused with code 5 and not retried.
 */
import { connectAsync, signatureCredentials } from '../src/index.js';
import { startBroker } from '../src/broker/broker-entry.js';
import { browserRoundTripSuite, pageIdentity, useBrowserRig, withPublisher, type BrowserTarget, type PageIdentity } from './helpers/browser-suite.js';

const instanceId = 'mqtt-cn-local-web';
const pageKey = { accessKeyId: 'LTAI-web-page', accessKeySecret: 'local-web-AccessKeySecret' };
const serviceKey = { accessKeyId: 'LTAI-web-service', accessKeySecret: 'local-service-AccessKeySecret' };
const pageToken = 'local-web-token-0001';

const identity = (device: string, mode: PageIdentity['mode'], accessKeyId: string, secret: string) => pageIdentity(instanceId, device, mode, accessKeyId, secret);

const target: BrowserTarget = {
  name: 'local-broker',
  umd: identity('umd', 'signature', pageKey.accessKeyId, pageKey.accessKeySecret),
  esm: { ...identity('esm', 'token', pageKey.accessKeyId, pageToken), tokenType: 'R' }, // a read-only dashboard
  refused: identity('refused', 'signature', pageKey.accessKeyId, 'not-the-AccessKeySecret'),
  refusalCode: 5,
  async start() {
    const broker = await startBroker({
      instanceId,
      accessKeys: [pageKey, serviceKey],
      tokens: [{ token: pageToken, resources: ['web/#'], actions: 'R', expireTime: Date.now() + 3_600_000, accessKeyId: pageKey.accessKeyId }],
    });
    let refusals = 0;
    broker.on('clientRefused', () => void refusals++);
    const clientId = 'GID_web@@@node-service';
    const credentials = await signatureCredentials({ ...serviceKey, instanceId, clientId });
    return withPublisher({ wsPort: broker.wsPort!, refusals: () => refusals, stop: () => broker.close() }, () =>
      connectAsync({ instanceId, clientId, credentials, ...broker.endpoint('tcp') }),
    );
  },
};

browserRoundTripSuite(target, useBrowserRig(target));
