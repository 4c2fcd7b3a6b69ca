/**
 * How mqtt.js is loaded on first use where there is a module loader: Node, Deno, Bun, ES-module
 * pages, and bundlers. The import is a literal that bundlers (esbuild, Vite, webpack) follow, so an
 * app that installed mqtt beside the package connects without passing it, and the bundler puts mqtt.js
 * in a lazy chunk of its own where it splits: nothing of it loads before the first connect. The
 * builds without a module loader (the script builds) and the React Native build swap this module for
 * `mqtt-import-absent.ts` (see rollup.config.ts).
 * @module
 */

/** @internal mqtt.js's module, imported lazily; `undefined` where the build cannot import. */
export const _importMqtt: (() => Promise<unknown>) | undefined = () => import('mqtt');
