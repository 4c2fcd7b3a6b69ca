/**
 * `mqtt-import.ts` as the script builds and the React Native build have it (see rollup.config.ts).
 * A `<script>` has no module loader to resolve `mqtt` with: there mqtt.js is the page's `mqtt`
 * global (mqtt.min.js loaded first) or the `mqtt` option. React Native apps pass mqtt.js, which needs
 * its own React Native set-up there, and Metro would fail the whole app's bundle on an
 * import it cannot resolve.
 * @module
 */

/** @internal Nothing to import with: the global or the `mqtt` option only. */
export const _importMqtt: (() => Promise<unknown>) | undefined = undefined;
