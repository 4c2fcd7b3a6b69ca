// crypto-js ships no types; the two modules the oracle uses, as far as it uses them.
declare module 'crypto-js/hmac-sha1.js' {
  const HmacSHA1: (message: unknown, key: unknown) => unknown;
  export default HmacSHA1;
}
declare module 'crypto-js/lib-typedarrays.js' {
  const WordArray: unknown;
  export default WordArray;
}
