/**
 * Own-property copies: what the SDK reads options, error details and broker payloads through.
 * @module
 */

// The prototype of every copy: empty, frozen, its own prototype null. A read of a key the caller did
// not pass ends here, never at a polluted `Object.prototype`; and unlike a null-prototype object,
// an object with a prototype keeps engines' fast property layout (V8 turns `Object.create(null)`
// objects into dictionaries: spreading or destructuring one costs about ten times as much).
const NOTHING: object = /* @__PURE__ */ Object.freeze(/* @__PURE__ */ Object.create(null));

/**
 * @internal A copy of `value`'s own enumerable properties (none for a primitive, `null` or
 * `undefined`) whose reads see nothing else. Throws what a getter of `value` throws.
 */
export const _ownCopy = <T>(value: T): T => Object.assign(Object.create(NOTHING) as object, value) as T;
