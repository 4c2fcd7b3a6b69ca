/**
 * The one place a body is gathered, whatever it arrives from (a fetch-standard stream, Node's `data`
 * events): a body over its limit is refused as it grows, never held whole. Nothing Node-specific.
 * @module
 */

/** Why {@link _readBody} gave up. */
export type BodyProblem = 'too-large' | 'unreadable';

/** @internal A body arriving chunk by chunk, held only while it stays within `max` bytes. */
export interface _BodyChunks {
  /** Keeps `chunk`; `false` (and nothing kept) once the body has grown past `max`. */
  add(chunk: Uint8Array): boolean;
  /** The chunks kept, as one array. */
  bytes(): Uint8Array;
}

/** @internal Gathers a body of at most `max` bytes (see {@link _BodyChunks}). */
export function _bodyChunks(max: number): _BodyChunks {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    add(chunk) {
      size += chunk.byteLength;
      if (size > max) return false;
      chunks.push(chunk);
      return true;
    },
    bytes() {
      const all = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return all;
    },
  };
}

/**
 * @internal The body as text, read chunk by chunk so that a body larger than `max` bytes is
 * refused without being held in memory. Works on a `Request` or a `Response`.
 */
export async function _readBody(request: Pick<Request, 'headers' | 'body'>, max: number): Promise<string | BodyProblem> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > max) return 'too-large';
  if (!request.body) return '';
  const reader = request.body.getReader();
  const body = _bodyChunks(max);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!body.add(value)) {
        await reader.cancel().catch(() => undefined);
        return 'too-large';
      }
    }
  } catch {
    return 'unreadable';
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body.bytes());
  } catch {
    return 'unreadable';
  }
}
