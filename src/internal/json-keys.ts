/**
 * Duplicate keys in JSON text. `JSON.parse` keeps the last of `{"result":"deny","result":"allow"}`
 * where another reader (a proxy, a log, a strict parser) may keep the first: two parties then act on
 * different values. Answers and bodies the SDK acts on are refused when a key repeats, as a strict
 * parser (RFC 8259 §4: names "SHOULD be unique") would. Pure, linear in the text.
 * @module
 */

/** A key short and plain enough to name in an error (anything else could be a pasted secret). */
export const _nameable = (key: string): boolean => /^[A-Za-z_][A-Za-z0-9_.-]{0,39}$/.test(key);

/**
 * @internal The first key that appears twice in one object of `text` (compared after unescaping:
 * `"a"` and `"\u0061"` are one key), or `undefined`. `text` must already be valid JSON (parse first).
 */
export function _duplicateJsonKey(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  // One entry per open container: the keys seen for an object, `null` for an array.
  const stack: Array<Set<string> | null> = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (keyNext) {
        const keys = stack[stack.length - 1]!;
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === '{') {
      stack.push(new Set());
      keyNext = true;
    } else if (c === '[') {
      stack.push(null);
      keyNext = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      keyNext = false;
    } else if (c === ',') {
      keyNext = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

/**
 * @internal The first name given twice in form or query parameters (`clientId=a&clientId=b`), or
 * `undefined`. `URLSearchParams.get` reads the first, a loop over the entries keeps the last.
 */
export function _duplicateParam(params: Iterable<[string, string]>): string | undefined {
  const seen = new Set<string>();
  for (const [name] of params) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** @internal How an error names a repeated key: itself when plain, else a description. */
export const _repeatedName = (key: string): string => (_nameable(key) ? key : 'a parameter');
