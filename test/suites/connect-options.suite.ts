import { describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../helpers/vectors.js';
import type { Api, BackendName } from './api.js';

export function connectOptionsSuite(api: Api, backend: BackendName): void {
  const credentials = { username: DOC_VECTOR.username, password: DOC_VECTOR.password };
  const base = { instanceId: 'mqtt-cn-abc', clientId: DOC_VECTOR.clientId, credentials };

  describe('createConnectOptions', () => {
    it.each([
      ['tcp', 'mqtt://mqtt-cn-abc.mqtt.aliyuncs.com:1883'],
      ['tls', 'mqtts://mqtt-cn-abc.mqtt.aliyuncs.com:8883'],
      ['ws', 'ws://mqtt-cn-abc.mqtt.aliyuncs.com:80/mqtt'],
      ['wss', 'wss://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt'],
    ] as const)('%s → %s', (transport, url) => {
      const result = api.createConnectOptions({ ...base, transport });
      expect(result.url).toBe(url);
      expect(result.options).toEqual({
        ...api.CONNECT_DEFAULTS,
        clientId: DOC_VECTOR.clientId,
        username: DOC_VECTOR.username,
        password: DOC_VECTOR.password,
        protocolVersion: 4,
      });
    });

    it('documents its defaults', () => {
      expect(api.CONNECT_DEFAULTS).toEqual({ keepalive: 90, clean: true, reconnectPeriod: 2000, connectTimeout: 10000 });
      expect(api.DEFAULT_PORTS).toEqual({ tcp: 1883, tls: 8883, ws: 80, wss: 443 });
      expect(api.DEFAULT_WS_PATH).toBe('/mqtt');
    });

    it('defaults the transport to tls where Node sockets are (Node, Bun, Deno) and wss elsewhere', () => {
      // Both need a build that keeps the Node paths in a Node-like runtime: exactly where the HMAC backend is node.
      const nodeSockets = backend === 'node';
      expect(api.createConnectOptions(base).url).toBe(nodeSockets ? 'mqtts://mqtt-cn-abc.mqtt.aliyuncs.com:8883' : 'wss://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt');
    });

    it('takes host, port, path and MQTT 5', () => {
      const { url, options } = api.createConnectOptions({ ...base, transport: 'ws', host: '127.0.0.1', port: 9001, path: '/ws', protocolVersion: 5 });
      expect(url).toBe('ws://127.0.0.1:9001/ws');
      expect(options.protocolVersion).toBe(5);
    });

    it('brackets a bare IPv6 host and ignores path for TCP', () => {
      expect(api.createConnectOptions({ ...base, transport: 'tcp', host: '::1', port: 1884, path: '/ignored' }).url).toBe('mqtt://[::1]:1884');
    });

    it('passes any other mqtt.js option through and lets it override defaults', () => {
      const will = { topic: 't/lwt', payload: 'bye', qos: 1 as const, retain: false };
      const { options } = api.createConnectOptions({ ...base, keepalive: 30, reconnectPeriod: 0, will, rejectUnauthorized: false });
      expect(options).toMatchObject({ keepalive: 30, reconnectPeriod: 0, will, rejectUnauthorized: false, clean: true });
    });

    it('does not mutate its input', () => {
      const input = { ...base, transport: 'wss' as const, keepalive: 10 };
      const copy = JSON.parse(JSON.stringify(input));
      api.createConnectOptions(input);
      expect(input).toEqual(copy);
    });
  });
}
