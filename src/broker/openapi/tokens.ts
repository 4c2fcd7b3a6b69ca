/**
 * ApplyToken, QueryToken and RevokeToken (API reference, `onsmqtt` 2020-04-20) on a token store.
 * @module
 */
import { MAX_TOKEN_TTL, MIN_TOKEN_TTL, _requireActions, _requireResources, type TokenActions } from '../../protocol/token-rules.js';
import { asParameterError, requireInstance, type ActionHandler } from './context.js';
import { invalidParameter } from './errors.js';

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
    async ApplyToken(context) {
      const { params } = context;
      requireInstance(context);
      const resources = await asParameterError('Resources', () => _requireResources(params.required('Resources'), 'Resources'));
      const actions = await asParameterError('Actions', () => _requireActions(params.required('Actions'), 'Actions'));
      const text = params.required('ExpireTime');
      const expireTime = Number(text);
      const t = context.now();
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(expireTime)) throw invalidParameter('ExpireTime', 'ExpireTime must be a UNIX time in milliseconds.');
      if (expireTime < t + MIN_TOKEN_TTL) throw invalidParameter('ExpireTime', 'ExpireTime must be at least 60 seconds in the future.');
      // The real service cuts a longer lifetime to 30 days without saying so; so does this one.
      const grant = { resources, actions, expireTime: Math.min(expireTime, t + MAX_TOKEN_TTL), accessKeyId: context.accessKeyId };
      return { Token: await asParameterError('Resources', () => tokens.apply(grant)) };
    },

    async QueryToken(context) {
      requireInstance(context);
      return { TokenStatus: (await tokens.query(context.params.required('Token'))) === true };
    },

    async RevokeToken(context) {
      requireInstance(context);
      await tokens.revoke(context.params.required('Token'));
      return {};
    },
  };
}
