/**
 * Imported first by hermes-entry.mjs, so it runs before the package loads: the engine must be Hermes
 * with none of the web APIs React Native before 0.74 lacks (a throw here ends the run, and the
 * launcher reports Hermes's output). Hermes's own command-line VM adds only `print`, timers and
 * `setImmediate` to the ECMAScript built-ins.
 */
const ABSENT = ['TextEncoder', 'TextDecoder', 'btoa', 'atob', 'crypto', 'URL', 'fetch', 'process', 'Buffer', 'console', 'navigator', 'window'];

const present = ABSENT.filter((name) => typeof globalThis[name] !== 'undefined');
if (typeof HermesInternal === 'undefined') throw new Error('this engine is not Hermes');
if (present.length) throw new Error(`Hermes is not bare here: it has ${present.join(', ')}`);

const properties = HermesInternal.getRuntimeProperties();
/** What the run proves it ran on, for the first result's name. */
export const ENGINE = `Hermes ${properties['OSS Release Version']} (bytecode ${properties['Bytecode Version']}), without ${ABSENT.join(', ')}`;
