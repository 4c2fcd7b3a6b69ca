/**
 * ApplyToken, QueryToken and RevokeToken (API reference, `onsmqtt` 2020-04-20) on a token store; their
 * parameters, limits (≤ 100 topics, ExpireTime 60 s to 30 days, cut to 30 days) and answers are the
 * contract's (`openapi/onsmqtt-contract.ts`).
 * @module
 */
import type { TokenActions } from '../../protocol/token-rules.js';
import { asParameterError, contractAction, type ActionHandler } from './context.js';

/**
 * The token store the token actions need, for one instance: the broker's `TokenStore`, or any with
 * this shape. Rule violations it throws as `ApsaraMqttAuthError` become `InvalidParameter.<Name>`.
 */
export interface OpenApiTokenStore {
  /** Issues a token for the topics and actions until `expireTime` (ms), bound to the applying AccessKey. */
  apply(grant: { resources: readonly string[]; actions: TokenActions; expireTime: number; accessKeyId: string }): string | Promise<string>;
  /** Whether the token is known, unrevoked and unexpired. */
  query(token: string): boolean | Promise<boolean>;
  /** Revokes the token (an unknown token is no error). */
  revoke(token: string): unknown;
}

/** The token actions over `tokens`. */
export function tokenActions(tokens: OpenApiTokenStore): Record<string, ActionHandler> {
  return {
    ApplyToken: contractAction('ApplyToken', async (input, context) => {
      const grant = { resources: input.resources, actions: input.actions, expireTime: input.expireTime, accessKeyId: context.accessKeyId };
      return { token: await asParameterError('Resources', () => tokens.apply(grant)) };
    }),
    QueryToken: contractAction('QueryToken', async (input) => ({ tokenStatus: (await tokens.query(input.token)) === true })),
    RevokeToken: contractAction('RevokeToken', async (input) => {
      await tokens.revoke(input.token);
      return {};
    }),
  };
}
