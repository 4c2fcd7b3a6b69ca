/**
 * HTTP authentication as an auth mode: the configured endpoint decides a CONNECT (see
 * `../http-auth-client.ts` for the call and `src/protocol/http-auth.ts` for the format). An allow with ACL
 * rules limits the client to them; an allow without rules restricts no topic (inferred); `expireAt`
 * ends the session then. A deny refuses with "bad username or password" (0x86 under MQTT 5); a
 * failed call (status, content type, size, format, time) with "not authorized" (0x87).
 * @module
 */
import type { Clock } from '../../clock.js';
import { ALLOW_ALL } from '../access.js';
import { askHttpAuth, type _checkHttpAuth } from '../http-auth-client.js';
import { rulesPolicy } from '../rules.js';
import { _refuse, type AuthResult, type ConnectCredentials } from './auth-types.js';

/** Asks the HTTP-authentication endpoint about a CONNECT. */
export class HttpAuthMode {
  readonly #config: ReturnType<typeof _checkHttpAuth>;
  readonly #clock: Clock;

  constructor(config: ReturnType<typeof _checkHttpAuth>, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
  }

  async authenticate(connect: ConnectCredentials): Promise<AuthResult> {
    const outcome = await askHttpAuth(this.#config, connect, () => this.#clock.now());
    if (!outcome.ok) return _refuse(outcome.kind === 'denied' ? 'bad-credentials' : 'not-authorized', outcome.reason);
    const access = outcome.rules ? rulesPolicy(outcome.rules) : ALLOW_ALL;
    return { ok: true, identity: { mode: 'HttpAuth', id: connect.username, access, ...(outcome.expireAt === undefined ? {} : { expireAt: outcome.expireAt }) } };
  }
}
