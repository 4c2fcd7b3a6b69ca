/** Request helpers shared by the credential-handler suites (Node and browser). */

/** A POST request init with a body (JSON-encoded unless already a string) and a content type. */
export const post = (body: unknown, type = 'application/json', headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
