import { describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../helpers/vectors.js';
import type { Api, BackendName } from './api.js';

export function connectOptionsSuite(api: Api, backend: BackendName, surface: 'entry' | 'script' = 'entry'): void {
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
      expect(api.DEFAULT_PORTS).toEqual({ tcp: 1883, tls: 8883, ws: 80, wss: 443, wx: 80, wxs: 443, ali: 80, alis: 443 });
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

  const host = globalThis as { wx?: unknown; my?: unknown; document?: unknown };
  if (surface === 'script') {
    it('the main script build (for pages) refuses the mini-program transports, naming the full build', () => {
      host.wx = { connectSocket() {} };
      try {
        for (const transport of ['wxs', 'wx', 'alis', 'ali'] as const) {
          expect(() => api.createConnectOptions({ ...base, transport, my: host.wx })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'transport', message: expect.stringContaining('full.umd') }));
        }
        expect(api.createConnectOptions(base).url).toBe('wss://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt');
      } finally {
        delete host.wx;
      }
    });
    return;
  }

  describe('createConnectOptions in mini-programs', () => {
    /** Runs `fn` with a stand-in for WeChat's global `wx` (or Alipay's `my`), removed afterwards. */
    const withGlobal = <T>(name: 'wx' | 'my', fn: () => T): T => {
      host[name] = { connectSocket() {} };
      try {
        return fn();
      } finally {
        delete host[name];
      }
    };

    it.each([
      ['wxs', 'wxs://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt'],
      ['wx', 'wx://mqtt-cn-abc.mqtt.aliyuncs.com:80/mqtt'],
    ] as const)('%s → %s, with the options mqtt.js needs there', (transport, url) => {
      const result = withGlobal('wx', () => api.createConnectOptions({ ...base, transport }));
      expect(result.url).toBe(url);
      expect(result.options).toMatchObject({ forceNativeWebSocket: true, timerVariant: 'native', clientId: DOC_VECTOR.clientId, ...credentials });
    });

    it.each([
      ['alis', 'alis://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt'],
      ['ali', 'ali://mqtt-cn-abc.mqtt.aliyuncs.com:80/mqtt'],
    ] as const)('%s → %s, passing Alipay\'s my (given, or the global) as mqtt.js wants it', (transport, url) => {
      const my = { connectSocket() {} };
      const given = api.createConnectOptions({ ...base, transport, my, port: 8443, path: '/ws' });
      expect(given.url).toBe(url.replace(/:\d+\/mqtt$/, ':8443/ws'));
      expect(given.options).toMatchObject({ my, forceNativeWebSocket: true, timerVariant: 'native' });
      // mqtt.js would drop the path of an ali/alis URL: the WebSocket URL is handed over whole.
      const transformWsUrl = given.options.transformWsUrl as () => string;
      expect(transformWsUrl()).toBe(`${transport === 'alis' ? 'wss' : 'ws'}://mqtt-cn-abc.mqtt.aliyuncs.com:8443/ws`);
      const global = withGlobal('my', () => api.createConnectOptions({ ...base, transport }));
      expect(global.url).toBe(url);
      expect(global.options.my).toBe(host.my ?? global.options.my);
      expect(typeof (global.options.my as { connectSocket?: unknown }).connectSocket).toBe('function');
    });

    it('lets the caller override the mini-program defaults', () => {
      const { options } = withGlobal('wx', () => api.createConnectOptions({ ...base, transport: 'wxs', timerVariant: 'auto' }));
      expect(options).toMatchObject({ forceNativeWebSocket: true, timerVariant: 'auto' });
    });

    it('says what is missing outside a mini-program, before mqtt.js would fail inside an event', () => {
      expect(() => api.createConnectOptions({ ...base, transport: 'wxs' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'transport' }));
      expect(() => api.createConnectOptions({ ...base, transport: 'alis' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'my' }));
      expect(() => api.createConnectOptions({ ...base, transport: 'ali', my: {} })).toThrow(expect.objectContaining({ field: 'my' }));
    });

    // Where no Node sockets and no page are (a mini-program), the platform picks the transport.
    if (backend !== 'node' && host.document === undefined) {
      it('defaults to wxs under WeChat and alis under Alipay', () => {
        expect(withGlobal('wx', () => api.createConnectOptions(base)).url).toBe('wxs://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt');
        expect(withGlobal('my', () => api.createConnectOptions(base)).url).toBe('alis://mqtt-cn-abc.mqtt.aliyuncs.com:443/mqtt');
      });
    }
  });
}
