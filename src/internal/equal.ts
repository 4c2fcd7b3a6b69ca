/**
 * The one constant-time comparison, for every secret the SDK checks (passwords, signatures, control
 * secrets, token MACs): pure code, so the credential server and the OpenAPI check run in browsers,
 * workers and Node alike.
 * @module
 */

/**
 * @internal Whether `given` and `expected` are the same text, in a time that depends on the length of
 * `given` alone: every code unit of `given` is compared (with `expected`'s, repeated as needed) and
 * the lengths are folded into the result, so neither how much of a guess matched nor the length of
 * the expected secret shows in the time taken.
 */
export function _constantTimeEqual(given: string, expected: string): boolean {
  const n = expected.length;
  let diff = given.length ^ n;
  // `charCodeAt` past the end of an empty `expected` is NaN, which `^` reads as 0: the lengths differ anyway.
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i % n);
  return diff === 0;
}
