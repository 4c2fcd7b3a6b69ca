/**
 * What a credential builder of this SDK noticed while building, kept beside the credentials object
 * it returned (never on it: the object is the caller's, and is sent to browsers as JSON), so that a
 * refused CONNECT can say why: the client id the Password was signed for, and a secret with white
 * space at its ends (warned about when a managed connection takes them). Never the secret itself.
 * Installed into the builders' hook (`credentials/built.ts`) when the managed connection is loaded.
 * @module
 */
import { _setOnBuilt } from '../credentials/built.js';

/** @internal */
export interface _BuildNotes {
  /** The client id the Password was signed over (Signature, DeviceCredential, custom SIGNED). */
  signedFor?: string;
  /** The option that held a secret with white space at its ends. */
  secretSpace?: string;
}

/**
 * The notes, and the hook that fills them, installed together. Marked pure so that a bundle that
 * never reads the notes (a page that only signs) drops both; one that does installs the hook when it
 * loads, before any credentials are built.
 */
const notes = /* @__PURE__ */ (() => {
  const map = new WeakMap<object, _BuildNotes>();
  _setOnBuilt((credentials, clientId, field, secret) => {
    const note: _BuildNotes = clientId ? { signedFor: clientId } : {};
    if (secret.trim() !== secret) note.secretSpace = field;
    map.set(credentials, note);
  });
  return map;
})();

/** @internal What was noticed when `credentials` were built, if they came from a builder of this SDK. */
export const _buildNotes = (credentials: unknown): _BuildNotes | undefined => (typeof credentials === 'object' && credentials !== null ? notes.get(credentials) : undefined);

/**
 * @internal Says on the console, once per session, that the credentials about to be used were made
 * from a secret with white space at its ends: they are used as is, and the broker's refusal alone would
 * not say why. Said when a managed connection takes them rather than when they are built, so that the
 * CLI, which words its own warning (naming where the secret came from), is not doubled.
 */
export function _warnIfSpaced(credentials: unknown): boolean {
  const field = _buildNotes(credentials)?.secretSpace;
  if (field) (globalThis as { console?: { warn?: (text: string) => void } }).console?.warn?.(`apsaramq-mqtt-auth: ${field} has white space at its ends; it is used as is`);
  return !!field;
}

/** @internal Keeps the notes of `from` on its checked copy `to`. */
export function _carryNotes(from: unknown, to: object): void {
  const found = _buildNotes(from);
  if (found) notes.set(to, found);
}
