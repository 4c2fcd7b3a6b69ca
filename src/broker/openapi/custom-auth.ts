/**
 * The custom-authentication actions (API reference, `onsmqtt` 2020-04-20): Add/Update/Delete/Query
 * CustomAuthIdentity, Add/Update/Delete/Query CustomAuthPermission and Add/Delete/Query
 * CustomAuthConnectBlack. Success answers `{ RequestId, Code: 200, Success: true, Message: "operation
 * success." }` (plus `Data: { Results, NextToken }` for the Query actions); errors
 * `InvalidParameter.<Name>`, `InstancePermissionCheckFailed` and `Customauth.over.capacity`.
 * Deleting what does not exist succeeds (inferred: the reference lists no code for it).
 * @module
 */
import { CustomAuthCapacityError, type CustomAuthStore, type IdentityType, type PermitAction, type PermitEffect, type SignMode } from '../custom-auth.js';
import { requireClientIdParam } from './devices.js';
import { asParameterError, operationSuccess, pagedSuccess, requireInstance, type ActionContext, type ActionHandler } from './context.js';
import { customAuthOverCapacity } from './errors.js';

const IDENTITY_TYPES = ['USER', 'CLIENT'] as const;
const SIGN_MODES = ['ORIGIN', 'SIGNED'] as const;
const PERMIT_ACTIONS = ['PUB', 'SUB', 'PUB_SUB'] as const;
const EFFECTS = ['ALLOW', 'DENY'] as const;

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

function identityInput(context: ActionContext, signModeRequired: boolean) {
  const { params } = context;
  const identityType: IdentityType = params.oneOf('IdentityType', IDENTITY_TYPES, true);
  const username = params.required('Username');
  const secret = params.required('Secret');
  // SignMode is optional for AddCustomAuthIdentity; SIGNED is the mode the overview recommends.
  const signMode: SignMode = signModeRequired ? params.oneOf('SignMode', SIGN_MODES, true) : (params.oneOf('SignMode', SIGN_MODES) ?? 'SIGNED');
  const clientId = params.optional('ClientId');
  return { identityType, username, secret, signMode, ...(clientId === undefined ? {} : { clientId }) };
}

function permissionInput(context: ActionContext) {
  const { params } = context;
  return {
    identityType: params.oneOf('IdentityType', IDENTITY_TYPES, true) as IdentityType,
    identity: params.required('Identity'),
    permitAction: params.oneOf('PermitAction', PERMIT_ACTIONS, true) as PermitAction,
    effect: params.oneOf('Effect', EFFECTS, true) as PermitEffect,
    topic: params.required('Topic'),
  };
}

/** The custom-authentication actions over `store`. */
export function customAuthActions(store: CustomAuthStore): Record<string, ActionHandler> {
  return {
    async AddCustomAuthIdentity(context) {
      requireInstance(context);
      const input = identityInput(context, false);
      await change(() => store.addIdentity(input));
      return operationSuccess();
    },
    async UpdateCustomAuthIdentity(context) {
      requireInstance(context);
      const input = identityInput(context, true);
      await change(() => store.updateIdentity(input));
      return operationSuccess();
    },
    async DeleteCustomAuthIdentity(context) {
      const { params } = context;
      requireInstance(context);
      const identityType = params.oneOf('IdentityType', IDENTITY_TYPES, true);
      const username = params.required('Username');
      const clientId = params.optional('ClientId');
      await change(() => store.deleteIdentity({ identityType, username, ...(clientId === undefined ? {} : { clientId }) }));
      return operationSuccess();
    },
    async QueryCustomAuthIdentity(context) {
      const { params } = context;
      requireInstance(context);
      const username = params.optional('Username');
      const identityType = params.oneOf('IdentityType', IDENTITY_TYPES);
      const clientId = params.optional('ClientId');
      const all = store.identities({
        ...(username === undefined ? {} : { username }),
        ...(identityType === undefined ? {} : { identityType }),
        ...(clientId === undefined ? {} : { clientId }),
      });
      return pagedSuccess(all, params, (r) => ({
        Username: r.Username,
        Secret: r.Secret,
        IdentityType: r.IdentityType,
        ...(r.ClientId === undefined ? {} : { ClientId: r.ClientId }),
        SignMode: r.SignMode,
      }));
    },

    async AddCustomAuthPermission(context) {
      requireInstance(context);
      const input = permissionInput(context);
      await change(() => store.addPermission(input));
      return operationSuccess();
    },
    async UpdateCustomAuthPermission(context) {
      requireInstance(context);
      const input = permissionInput(context);
      await change(() => store.updatePermission(input));
      return operationSuccess();
    },
    async DeleteCustomAuthPermission(context) {
      const { params } = context;
      requireInstance(context);
      const key = { identityType: params.oneOf('IdentityType', IDENTITY_TYPES, true), identity: params.required('Identity'), topic: params.required('Topic') };
      await change(() => store.deletePermission(key));
      return operationSuccess();
    },
    async QueryCustomAuthPermission(context) {
      const { params } = context;
      requireInstance(context);
      const identityType = params.oneOf('IdentityType', IDENTITY_TYPES);
      const identity = params.optional('Identity');
      const topic = params.optional('Topic');
      const all = store.permissions({
        ...(identityType === undefined ? {} : { identityType }),
        ...(identity === undefined ? {} : { identity }),
        ...(topic === undefined ? {} : { topic }),
      });
      return pagedSuccess(all, params, (p) => ({ Identity: p.Identity, IdentityType: p.IdentityType, Topic: p.Topic, PermitAction: p.PermitAction, Effect: p.Effect }));
    },

    async AddCustomAuthConnectBlack(context) {
      requireInstance(context);
      const clientId = requireClientIdParam(context);
      await change(() => store.block(clientId));
      return operationSuccess();
    },
    async DeleteCustomAuthConnectBlack(context) {
      requireInstance(context);
      store.unblock(requireClientIdParam(context));
      return operationSuccess();
    },
    async QueryCustomAuthConnectBlack(context) {
      const { params } = context;
      requireInstance(context);
      const clientId = params.optional('ClientId');
      const all = store.blocked().filter((id) => clientId === undefined || id === clientId);
      // A blacklist entry denies CONNECT (the example answer shows the fields; DENY is what an entry means).
      return pagedSuccess(all, params, (id) => ({ ClientId: id, Effect: 'DENY', PermitAction: 'CONNECT' }));
    },
  };
}
