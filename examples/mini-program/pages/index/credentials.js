// Token-mode credentials from your credential server (the SDK's createCredentialHandler on your
// side), fetched with the platform's own request API: mini-programs have no fetch. The SDK calls
// this before connecting, before the token expires, on the broker's expiry notice and after a
// refusal, and rotates a new token in band ($SYS/uploadToken) without reconnecting.

/** `wx.request` (WeChat) or `my.request` (Alipay) as a promise of `{ status, body }`. */
function request(url, body) {
  return new Promise((resolve, reject) => {
    const fail = (error) => reject(new Error(`the credential server could not be reached: ${(error && (error.errMsg || error.errorMessage)) || 'request failed'}`));
    if (typeof wx !== 'undefined') {
      wx.request({ url, method: 'POST', header: { 'content-type': 'application/json' }, data: body, success: (res) => resolve({ status: res.statusCode, body: res.data }), fail });
    } else {
      my.request({ url, method: 'POST', headers: { 'content-type': 'application/json' }, data: JSON.stringify(body), dataType: 'json', success: (res) => resolve({ status: res.status, body: res.data }), fail });
    }
  });
}

/** A credentials provider for `connect`: asks `url` for this client id's credentials. */
function credentialsFrom(url) {
  return async (context) => {
    const { status, body } = await request(url, { clientId: context.clientId, reason: context.reason });
    if (status !== 200) throw new Error(`the credential server answered ${status}${body && body.error ? `: ${body.error.code}` : ''}`);
    // expiresAt lets the SDK fetch the next token ahead of expiry.
    return { username: body.username, password: body.password, expiresAt: body.expiresAt };
  };
}

module.exports = { credentialsFrom };
