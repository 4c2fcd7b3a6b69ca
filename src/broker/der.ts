/**
 * The few ASN.1 DER encodings an X.509 certificate needs (X.690): lengths, tags, integers, object
 * identifiers, strings, times. Only what `certificates.ts` writes, and the one reader it needs to find
 * an extension of a stored CA again ({@link _readDer}, {@link _children}).
 * @module
 */

/** One DER element: tag byte(s) + definite length + contents. */
export function _der(tag: number, contents: Uint8Array): Buffer {
  const n = contents.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), contents]);
}

export const _sequence = (...items: Uint8Array[]): Buffer => _der(0x30, Buffer.concat(items));
export const _set = (...items: Uint8Array[]): Buffer => _der(0x31, Buffer.concat(items));
/** `[n]` EXPLICIT (constructed context tag). */
export const _explicit = (n: number, inner: Uint8Array): Buffer => _der(0xa0 | n, inner);
/** `[n]` IMPLICIT on a primitive (context tag). */
export const _implicit = (n: number, contents: Uint8Array): Buffer => _der(0x80 | n, contents);
export const _octetString = (bytes: Uint8Array): Buffer => _der(0x04, bytes);
export const _utf8String = (text: string): Buffer => _der(0x0c, Buffer.from(text, 'utf8'));
export const _boolean = (value: boolean): Buffer => _der(0x01, Buffer.from([value ? 0xff : 0]));
/** A BIT STRING of whole bytes (no unused bits). */
export const _bitString = (bytes: Uint8Array): Buffer => _der(0x03, Buffer.concat([Buffer.from([0]), bytes]));

/** A non-negative INTEGER from big-endian bytes (a leading zero is added when the top bit is set). */
export function _integer(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return _der(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : Buffer.from(trimmed));
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function _oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return _der(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5), to the second, in UTC. */
export function _time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? _der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : _der(0x18, Buffer.from(`${digits}Z`));
}

/** One DER element inside a buffer: its tag, where its contents start and where it ends. */
export interface _DerElement {
  tag: number;
  start: number;
  end: number;
}

/** @internal The element at `offset` of `bytes` (definite lengths only, as DER has); throws past the end. */
export function _readDer(bytes: Uint8Array, offset: number): _DerElement {
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new RangeError('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (tag === undefined || end > bytes.length) throw new RangeError('DER element past the end');
  return { tag, start: offset + header, end };
}

/** @internal The elements inside a constructed element. */
export function _children(bytes: Uint8Array, parent: _DerElement): _DerElement[] {
  const out: _DerElement[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = _readDer(bytes, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}
