/**
 * The demo's credential server: the SDK's `createCredentialHandler` with a token issuer in front of
 * the `onsmqtt` OpenAPI (the real one, or the local broker's copy on loopback). Pages get read-only
 * Token credentials for the telemetry topics; no page ever receives an AccessKey secret.
 *
 * Who gets what (`authorize`): client ids `<groupId>@@@dashboard-*` and `<groupId>@@@page-*` get a token
 * for `<parentTopic>/+/telemetry` with action `R`; every other client id is refused (403). A real
 * server would check the caller's session here; this demo trusts anyone who can reach 127.0.0.1.
 */
import { ApsaraMqttAuthError, parseClientId } from 'apsaramq-mqtt-auth';
import { createCredentialHandler, createOnsMqttClient, createTokenIssuer, MIN_TOKEN_LIFETIME } from 'apsaramq-mqtt-auth/server';

/** Device ids of the client ids this demo hands credentials to. */
export const PAGE_DEVICE_ID = /^(dashboard|page)-[A-Za-z0-9_-]{1,40}$/;

/**
 * @param {{ instanceId: string, accessKeyId: string, accessKeySecret: string, securityToken?: string,
 *   openApi: { endpoint: string } | { regionId: string }, groupId: string, parentTopic: string,
 *   tokenTtl: number, onError?: (error: unknown) => void, log: (line: string) => void }} options
 */
export function createDemoCredentials(options) {
  const { instanceId, groupId, log } = options;
  const api = createOnsMqttClient({
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
    instanceId,
    ...options.openApi,
  });
  // Replace a cached token halfway through its life (at most 5 minutes ahead), so that pages
  // refreshing ahead of expiry get a new one; the issuer needs MIN_TOKEN_LIFETIME more than the margin.
  const refreshMargin = Math.min(300_000, Math.floor(options.tokenTtl / 2), options.tokenTtl - MIN_TOKEN_LIFETIME);
  const issuer = createTokenIssuer({ client: api, ttl: options.tokenTtl, refreshMargin });
  const permission = { resources: [`${options.parentTopic}/+/telemetry`], actions: 'R' };

  const handler = createCredentialHandler({
    instanceId,
    tokenIssuer: issuer,
    authorize: async (_request, clientId, { params }) => {
      const { groupId: group, deviceId } = parseClientId(clientId);
      if (group !== groupId || !PAGE_DEVICE_ID.test(deviceId)) {
        log(`refused credentials for ${clientId}`);
        throw new ApsaraMqttAuthError('ERR_FORBIDDEN', `this demo hands credentials only to ${groupId}@@@dashboard-* and ${groupId}@@@page-* client ids`, { field: 'clientId' });
      }
      // A page that reports its token refused or invalid (revoked, say) makes the handler check the
      // cached token with QueryToken and replace it only if it no longer stands.
      log(`Token credentials for ${clientId} (${params.reason ?? 'connect'}): R on ${permission.resources.join(',')}`);
      return { mode: 'token', ...permission };
    },
    onError: (error) => log(`credential server error: ${error?.message ?? error}`),
  });

  return {
    handler,
    permission,
    /** Forgets the cached token: the next request (e.g. a page's manual refresh) gets a new one. */
    rotate() {
      issuer.invalidate(permission);
    },
    /** Revokes the token the pages hold now (RevokeToken); the broker then disconnects them. */
    async revoke() {
      const { token } = await issuer.issue(permission);
      await api.revokeToken({ token });
    },
  };
}
