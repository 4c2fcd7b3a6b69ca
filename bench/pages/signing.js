/* global CryptoJS, ApsaraMqttAuth */
// In-page half of bench/signing-chromium.ts: contenders that sign the same 1,000 client ids with
// one secret, timed with performance.now(). window.benchRound(minMs) runs each once, rotated.
(() => {
  const ACCESS_KEY_ID = 'LTAI5tBenchmark';
  const SECRET = 'bench-secret-0123456789abcdefghij';
  const INSTANCE = 'mqtt-cn-bench';
  const ids = Array.from({ length: 1000 }, (_, i) => `GID_bench@@@device-${String(i).padStart(4, '0')}`);
  const enc = new TextEncoder();
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const sdk = ApsaraMqttAuth;
  let contenders;

  async function setup() {
    const key = await crypto.subtle.importKey('raw', enc.encode(SECRET), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    const signer = await sdk.createSigner({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE });
    const builder = (hmac) => (list) =>
      Promise.all(list.map(async (clientId) => (await sdk.signatureCredentials({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE, clientId, hmac })).password));
    contenders = [
      { name: 'crypto-js HmacSHA1 + Base64 (baseline)', run: (list) => list.map((id) => CryptoJS.enc.Base64.stringify(CryptoJS.HmacSHA1(id, SECRET))) },
      { name: 'raw WebCrypto sign, key imported once', run: (list) => Promise.all(list.map(async (id) => b64(new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(id)))))) },
      { name: 'ours: signatureCredentials + webCryptoHmacSha1 (the default here)', run: builder(sdk.webCryptoHmacSha1) },
      { name: 'ours: signatureCredentials + nobleHmacSha1', run: builder(sdk.nobleHmacSha1) },
      { name: `ours: createSigner() → backend ${signer.backend}`, run: (list) => list.map((id) => signer.sign(id).password) },
    ];
    const expected = JSON.stringify(await contenders[0].run(ids));
    for (const c of contenders) if (JSON.stringify(await c.run(ids)) !== expected) throw new Error(`${c.name} signs differently from crypto-js`);
    return contenders.map((c) => c.name);
  }

  async function rate(contender, minMs) {
    let signed = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      await contender.run(ids);
      signed += ids.length;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    return (signed / elapsed) * 1000;
  }

  window.benchSetup = setup;
  window.benchRound = async (minMs, round) => {
    const k = round % contenders.length;
    const order = [...contenders.slice(k), ...contenders.slice(0, k)];
    const rates = {};
    for (const c of order) rates[c.name] = await rate(c, minMs);
    return rates;
  };
})();
