#!/usr/bin/env node
/**
 * Fills vendor/ with the two files the page requires, from the installed packages (mini-programs
 * load plain files and cannot load code at run time):
 *
 * - vendor/apsaramq-mqtt-auth.js: the SDK's single-file build (dist/apsaramq-mqtt-auth.full.umd.min.js),
 *   a CommonJS module here, with the pure-JavaScript HMAC and UTF-8/Base64 inside;
 * - vendor/mqtt.js: mqtt.js's browser bundle (dist/mqtt.min.js) made a CommonJS module: it declares
 *   `var mqtt` and exports nothing, and it reads `navigator` and `self.AbortController` as it loads,
 *   which mqtt.js's README tells mini-programs to polyfill. Both are given to it as variables of the
 *   module, so they work under the platform's module wrapper and touch no global.
 *
 *   node vendor.mjs            (from this folder, with apsaramq-mqtt-auth and mqtt installed)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));
const vendor = join(here, 'vendor');
mkdirSync(vendor, { recursive: true });

writeFileSync(join(vendor, 'apsaramq-mqtt-auth.js'), readFileSync(join(packageDir('apsaramq-mqtt-auth'), 'dist/apsaramq-mqtt-auth.full.umd.min.js')));

/** What mqtt.js's bundle needs as it loads: a navigator, and an AbortController (a small working one). */
const STAND_INS = `var navigator = { userAgent: 'mini-program', language: 'en', product: 'mini-program' };
var self = (function () {
  function AbortSignal() { this.aborted = false; this.reason = undefined; this.onabort = null; this._listeners = []; }
  AbortSignal.prototype.addEventListener = function (type, listener) { if (type === 'abort') this._listeners.push(listener); };
  AbortSignal.prototype.removeEventListener = function (type, listener) { this._listeners = this._listeners.filter(function (l) { return l !== listener; }); };
  AbortSignal.prototype.throwIfAborted = function () { if (this.aborted) throw this.reason; };
  function AbortController() { this.signal = new AbortSignal(); }
  AbortController.prototype.abort = function (reason) {
    var signal = this.signal;
    if (signal.aborted) return;
    signal.aborted = true;
    signal.reason = reason === undefined ? new Error('This operation was aborted') : reason;
    var event = { type: 'abort', target: signal };
    if (typeof signal.onabort === 'function') signal.onabort(event);
    signal._listeners.slice().forEach(function (listener) { listener.call(signal, event); });
  };
  return { AbortController: AbortController, AbortSignal: AbortSignal };
})();
`;

const mqttSource = readFileSync(join(packageDir('mqtt'), 'dist/mqtt.min.js'), 'utf8');
const strict = '"use strict";';
// The stand-ins go after the bundle's "use strict" directive, which must stay first to count.
const body = mqttSource.startsWith(strict) ? mqttSource.slice(strict.length) : mqttSource;
const version = JSON.parse(readFileSync(join(packageDir('mqtt'), 'package.json'), 'utf8')).version;
writeFileSync(
  join(vendor, 'mqtt.js'),
  `${strict}\n// mqtt.js ${version} dist/mqtt.min.js as a CommonJS module for mini-programs (written by vendor.mjs).\n${STAND_INS}${body}\nmodule.exports = mqtt;\n`,
);
console.log(`vendor/: apsaramq-mqtt-auth.js, mqtt.js (mqtt ${version})`);
