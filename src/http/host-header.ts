/**
 * The one check of a `Host` header (or an origin's authority) before anything is built from it. Node
 * hands the header over as the client sent it, and a URL made by pasting it in front of the request
 * target lets the client move the path: `Host: cred.example.com/admin?x=` with `GET /public` reads
 * as path `/admin`, `Host: x#` drops the query. Only `host[:port]` passes: a DNS name (letters,
 * digits, `-`, `_`, dot-separated), an IPv4 address or a bracketed IPv6 address, and a port of 1 to 5
 * digits up to 65535. Nothing Node-specific.
 * @module
 */

// reg-name labels, or [IPv6]; then an optional port. No `/`, `?`, `#`, `@`, `%`, `\` or space can pass.
const AUTHORITY = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
/** Longest accepted header: a 253-character DNS name, brackets or a port. */
const MAX_AUTHORITY = 262;

/**
 * @internal The host name (lower-cased; IPv6 in brackets) of a valid `host[:port]`, or `undefined`
 * when the value is anything else (then refuse the request: 400).
 */
export function _hostnameOf(authority: string): string | undefined {
  if (typeof authority !== 'string' || authority.length === 0 || authority.length > MAX_AUTHORITY) return undefined;
  const match = AUTHORITY.exec(authority);
  if (!match) return undefined;
  if (match[1] !== undefined && Number(match[1]) > 65_535) return undefined;
  try {
    // The URL parser has the last word on IP addresses (an IPv6 with stray characters fails here).
    return new URL(`http://${authority}/`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** @internal Whether `authority` is a valid `host[:port]` (see {@link _hostnameOf}). */
export const _validHost = (authority: string): boolean => _hostnameOf(authority) !== undefined;
