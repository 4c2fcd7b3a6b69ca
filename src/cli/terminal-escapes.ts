/**
 * What the CLI prints may come from its caller (`--access-key-id`, `--instance-id`), a config file
 * (`instanceId`) or a network client (a client id, a topic, in the `broker` command's log lines).
 * Printed raw, an ESC or OSC sequence in one of them can rewrite the terminal's title, hide text,
 * move the cursor or, in some terminals, write to the clipboard; a bidi override can reorder what the
 * reader sees. Every line the CLI writes goes through {@link escapeControls}.
 * @module
 */

// C0 controls but tab and line feed, DEL, C1 controls (U+009B is a one-character CSI), the bidi
// embeddings, overrides and isolates, and the Unicode line and paragraph separators.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `text` with every terminal control character written as `\uXXXX` (valid inside JSON strings too). */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
