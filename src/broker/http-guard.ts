/**
 * Who may talk HTTP (and WebSocket) to the local broker. It runs on developers' machines while they
 * browse, so every HTTP request and every WebSocket upgrade is checked before anything answers:
 * - the `Host` header must name the broker: a loopback name (`localhost`, `*.localhost`), an IP
 *   address, the address it listens on, a name of its TLS certificate, or one of `allowedHosts`.
 *   A DNS-rebinding page reaches the broker under the attacker's own name, and is refused here;
 * - an `Origin` header, when a browser sends one, must be a page on a loopback host or on one of
 *   those names, or one of `allowedOrigins`; `null` (sandboxed frames, `file:` pages) never is.
 *   Any web page can send requests to loopback; this stops them before they do anything.
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { _hostnameOf } from '../http/host-header.js';

/** Decides on one request's `Host` and `Origin` headers. */
export interface RequestGuard {
  /** Why the request is refused (`host` or `origin`), or `undefined` to let it through. */
  refuse(host: string | undefined, origin: string | undefined): 'host' | 'origin' | undefined;
}

/** Inputs of {@link _requestGuard}. */
export interface RequestGuardOptions {
  /** The address the broker listens on. */
  listenHost: string;
  /** More names the broker answers to (the TLS certificate's, the config's `allowedHosts`). */
  hosts: readonly string[];
  /** Browser origins allowed besides pages on the broker's own names (`https://app.example:8443`). */
  origins: readonly string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The host name of a `Host` header value or a configured host, lower-cased; IPv6 in brackets.
 * `undefined` for anything but `host[:port]`: `localhost/control/sessions?` names no host, it is an
 * attempt to move the path (the one check of every Node adapter, `src/http/host-header.ts`).
 */
const hostnameOf = _hostnameOf;

const isLoopback = (name: string) => name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || (IPV4.test(name) && name.startsWith('127.'));
const isAddress = (name: string) => IPV4.test(name) || name.startsWith('[');

/** @internal The guard for one broker's listeners. */
export function _requestGuard(options: RequestGuardOptions): RequestGuard {
  const names = new Set<string>();
  for (const host of [options.listenHost, ...options.hosts]) {
    const name = WILDCARDS.has(host) ? undefined : hostnameOf(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
    if (name) names.add(name);
  }
  const origins = new Set(options.origins.map((o) => o.toLowerCase()));
  return {
    refuse(host, origin) {
      // An IP address as Host is no rebinding: the page's own origin is that address.
      const name = host === undefined ? undefined : hostnameOf(host);
      if (name === undefined || !(isLoopback(name) || isAddress(name) || names.has(name))) return 'host';
      if (origin === undefined) return undefined; // not a browser
      if (origins.has(origin.toLowerCase())) return undefined;
      let page: URL;
      try {
        page = new URL(origin);
      } catch {
        return 'origin'; // `null`, or nothing a browser would send
      }
      if (page.protocol !== 'http:' && page.protocol !== 'https:') return 'origin';
      const pageHost = page.hostname.toLowerCase();
      return isLoopback(pageHost) || names.has(pageHost) ? undefined : 'origin';
    },
  };
}

/** @internal `allowedHosts` / `allowedOrigins` of a config: a list of strings, each checked. */
export function _checkNames(value: unknown, field: string, kind: 'host' | 'origin'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw _invalid(field, `must be a list of ${kind === 'host' ? 'host names' : 'origins'} (got ${_typeName(value)})`);
  return value.map((item: unknown, i) => {
    const ok =
      typeof item === 'string' &&
      (kind === 'host'
        ? /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(item)
        : /^https?:\/\/[^\s/?#@]+$/.test(item) && item !== 'null');
    if (!ok) throw _invalid(`${field}[${i}]`, kind === 'host' ? 'must be a host name or an IP address, without a port' : 'must be an origin such as "https://app.example:8443"');
    return item as string;
  });
}
