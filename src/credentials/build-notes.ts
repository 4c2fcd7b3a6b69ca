/**
 * What a credential builder noticed while building, kept beside the credentials object it returned
 * (never on it: the object is the caller's, and is sent to browsers as JSON), so that a refused
 * CONNECT can say why: the client id the Password was signed for, and a secret with white space at
 * its ends. Never the secret itself.
 * @module
 */

/** @internal */
export interface _BuildNotes {
  /** The client id the Password was signed over (Signature, DeviceCredential, custom SIGNED). */
  signedFor?: string;
  /** The option that held a secret with white space at its ends, and where. */
  secretSpace?: { field: string; where: 'start' | 'end' | 'both ends' };
}

const notes = new WeakMap<object, _BuildNotes>();

/** @internal Where a secret has white space, if it has. */
export function _secretSpace(field: string, secret: string): _BuildNotes['secretSpace'] {
  const start = /^\s/.test(secret);
  const end = /\s$/.test(secret);
  return start || end ? { field, where: start && end ? 'both ends' : start ? 'start' : 'end' } : undefined;
}

/**
 * @internal Records what was noticed about `credentials`; a secret with white space at its ends is
 * also said at once, on the console, as the CLI says it: it is signed as is, and the broker's
 * refusal alone would not say why.
 */
export function _noteBuild<T extends object>(credentials: T, note: _BuildNotes): T {
  notes.set(credentials, note);
  const space = note.secretSpace;
  if (space) {
    const warn = (globalThis as { console?: { warn?: (text: string) => void } }).console?.warn;
    warn?.(`apsaramq-mqtt-auth: ${space.field} has white space at its ${space.where} (a newline from a file or from echo?); it is signed as is, and the broker will likely refuse it`);
  }
  return credentials;
}

/** @internal What was noticed when `credentials` were built, if they came from a builder of this SDK. */
export const _buildNotes = (credentials: unknown): _BuildNotes | undefined => (typeof credentials === 'object' && credentials !== null ? notes.get(credentials) : undefined);

/** @internal Keeps the notes of `from` on its checked copy `to`. */
export function _carryNotes(from: unknown, to: object): void {
  const found = _buildNotes(from);
  if (found) notes.set(to, found);
}
