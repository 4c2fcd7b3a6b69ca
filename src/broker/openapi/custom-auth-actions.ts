/**
 * The custom-authentication actions (API reference, `onsmqtt` 2020-04-20): Add/Update/Delete/Query
 * CustomAuthIdentity, Add/Update/Delete/Query CustomAuthPermission and Add/Delete/Query
 * CustomAuthConnectBlack, on the broker's custom-auth store. Their parameters, the success envelope,
 * the pages of the Query actions and their error codes are the contract's (`openapi/onsmqtt-contract.ts`);
 * the store's rule errors become `InvalidParameter.<Name>`, its capacity `Customauth.over.capacity`.
 * Deleting what does not exist succeeds (inferred: the reference lists no code for it).
 * @module
 */
import { CustomAuthCapacityError, type CustomAuthStore } from '../custom-auth-store.js';
import { asParameterError, contractAction, pagedAnswer, type ActionHandler } from './context.js';
import { customAuthOverCapacity } from './error-answers.js';

/** Runs a store change; capacity and rule errors become the documented answers. */
async function change<T>(run: () => T): Promise<T> {
  // The capacity error is an ApsaraMqttAuthError too: it is told apart before the parameter errors.
  return asParameterError('Username', () => {
    try {
      return run();
    } catch (error) {
      if (error instanceof CustomAuthCapacityError) throw customAuthOverCapacity();
      throw error;
    }
  });
}

/** Only the entries whose value is given (the store's filters and keys take no `undefined`). */
function given<T extends Record<string, unknown>>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** The custom-authentication actions over `store`. */
export function customAuthActions(store: CustomAuthStore): Record<string, ActionHandler> {
  return {
    AddCustomAuthIdentity: contractAction('AddCustomAuthIdentity', async ({ instanceId: _, signMode, ...input }) => {
      // SignMode is optional here; SIGNED is the mode the overview recommends.
      await change(() => store.addIdentity(given({ ...input, signMode: signMode ?? 'SIGNED' })));
      return {};
    }),
    UpdateCustomAuthIdentity: contractAction('UpdateCustomAuthIdentity', async ({ instanceId: _, ...input }) => {
      await change(() => store.updateIdentity(given(input)));
      return {};
    }),
    DeleteCustomAuthIdentity: contractAction('DeleteCustomAuthIdentity', async ({ instanceId: _, ...key }) => {
      await change(() => store.deleteIdentity(given(key)));
      return {};
    }),
    QueryCustomAuthIdentity: contractAction('QueryCustomAuthIdentity', async ({ username, identityType, clientId, size, nextToken }) =>
      pagedAnswer(store.identities(given({ username, identityType, clientId })), { size, nextToken }, (r) => ({
        username: r.Username,
        secret: r.Secret,
        identityType: r.IdentityType,
        ...(r.ClientId === undefined ? {} : { clientId: r.ClientId }),
        signMode: r.SignMode,
      })),
    ),

    AddCustomAuthPermission: contractAction('AddCustomAuthPermission', async ({ instanceId: _, ...input }) => {
      await change(() => store.addPermission(input));
      return {};
    }),
    UpdateCustomAuthPermission: contractAction('UpdateCustomAuthPermission', async ({ instanceId: _, ...input }) => {
      await change(() => store.updatePermission(input));
      return {};
    }),
    DeleteCustomAuthPermission: contractAction('DeleteCustomAuthPermission', async ({ instanceId: _, ...key }) => {
      await change(() => store.deletePermission(key));
      return {};
    }),
    QueryCustomAuthPermission: contractAction('QueryCustomAuthPermission', async ({ identityType, identity, topic, size, nextToken }) =>
      pagedAnswer(store.permissions(given({ identityType, identity, topic })), { size, nextToken }, (p) => ({
        identity: p.Identity,
        identityType: p.IdentityType,
        topic: p.Topic,
        permitAction: p.PermitAction,
        effect: p.Effect,
      })),
    ),

    AddCustomAuthConnectBlack: contractAction('AddCustomAuthConnectBlack', async ({ clientId }) => {
      await change(() => store.block(clientId));
      return {};
    }),
    DeleteCustomAuthConnectBlack: contractAction('DeleteCustomAuthConnectBlack', async ({ clientId }) => {
      store.unblock(clientId);
      return {};
    }),
    QueryCustomAuthConnectBlack: contractAction('QueryCustomAuthConnectBlack', async ({ clientId, size, nextToken }) => {
      const all = store.blocked().filter((id) => clientId === undefined || id === clientId);
      // A blacklist entry denies CONNECT (the example answer shows the fields; DENY is what an entry means).
      return pagedAnswer(all, { size, nextToken }, (id) => ({ clientId: id, effect: 'DENY', permitAction: 'CONNECT' }));
    }),
  };
}
