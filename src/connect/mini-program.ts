/**
 * What the mini-program transports need (`wx`/`wxs`: WeChat's global `wx.connectSocket`;
 * `ali`/`alis`: Alipay's `my`), on top of mqtt.js's own wx and ali transports. The main script
 * build, which is for pages, swaps this file for `mini-program-absent.ts` (see rollup.config.ts):
 * pages have no such platform, and the single-file build keeps it.
 * @module
 */
import { _invalid } from '../errors.js';

type Platform = { connectSocket?: unknown };
const g = globalThis as { document?: unknown; wx?: Platform; my?: Platform };

/** Whether `platform` has the mini-program socket API. */
const socketApi = (platform: Platform | undefined): boolean => typeof platform?.connectSocket === 'function';

/**
 * What mqtt.js needs in a mini-program (its README and issue #1797): its own WebSocket code
 * (`forceNativeWebSocket`, without which it reaches for Node's `net`), and the platform's timers
 * rather than worker timers (`timerVariant: 'native'`). Defaults the caller may override.
 */
const DEFAULTS = { forceNativeWebSocket: true, timerVariant: 'native' } as const;

/** @internal `wxs` in a WeChat mini-program, `alis` in an Alipay one (no `document`, the platform's socket API), else undefined. */
export function _miniProgramTransport(): 'wxs' | 'alis' | undefined {
  return g.document ? undefined : socketApi(g.wx) ? 'wxs' : socketApi(g.my) ? 'alis' : undefined;
}

/**
 * @internal The options a mini-program transport adds (empty for the others), after checking its
 * platform is there: mqtt.js finds WeChat's socket API as the global `wx` and Alipay's as the option
 * `my`, and without them fails later inside an event. `address` is `host:port/path`.
 */
export function _miniProgramOptions(transport: string, my: unknown, address: string): Record<string, unknown> {
  if (transport[1] === 'x') {
    if (!socketApi(g.wx)) throw _invalid('transport', `"${transport}" needs WeChat's wx.connectSocket (a WeChat mini-program)`);
    return { ...DEFAULTS };
  }
  if (transport[0] !== 'a') return {};
  const api = (my ?? g.my) as Platform | undefined;
  if (!socketApi(api)) throw _invalid('my', `must be Alipay's my object (with connectSocket) for transport "${transport}"`);
  // mqtt.js drops the path of ali/alis URLs (it keeps it for ws* and wx* only) and would open
  // `wss://host/`, which ApsaraMQ refuses: the WebSocket URL is given whole instead.
  return { ...DEFAULTS, my: api, transformWsUrl: () => `${transport === 'alis' ? 'wss' : 'ws'}://${address}` };
}
