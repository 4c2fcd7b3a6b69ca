/**
 * The one seam through which a credential builder tells the managed connection what it built, so
 * that a refused CONNECT can say why (see `lifecycle/built-credentials.ts`). The connection sets the
 * hook when it is loaded; a page that only signs carries no more than the call.
 * @module
 */

/**
 * @internal Told about each credentials object a builder returns: the client id signed (`''` when
 * the Password is the secret itself), the secret's option name, and the secret, only to look at its
 * ends (it is not kept).
 */
export let _onBuilt: ((credentials: object, clientId: string, secretField: string, secret: string) => void) | undefined;

/** @internal Sets {@link _onBuilt} (an imported binding cannot be assigned by its importer). */
export const _setOnBuilt = (hook: typeof _onBuilt): void => void (_onBuilt = hook);
