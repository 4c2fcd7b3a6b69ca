/**
 * A WeChat or Alipay mini-program as far as a page's JavaScript can tell: a `node:vm` context with
 * ECMAScript built-ins, timers and console only (no TextEncoder, btoa, crypto, URL, fetch,
 * WebSocket, navigator, window, self), CommonJS `require` relative to the page's file, `App` and
 * `Page` registration, and the platform object: `wx` (`connectSocket` returning a SocketTask,
 * `request`) or `my` (`connectSocket`/`sendSocketMessage`/`onSocket*`, `request`), each backed by
 * the real thing on loopback: the `ws` package for sockets, Node's fetch for requests. Binary
 * frames cross as the platform hands them over: ArrayBuffers of the page's realm (WeChat) or
 * Base64 strings (Alipay).
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import vm from 'node:vm';
import WebSocket from 'ws';

export type MiniProgramPlatform = 'wx' | 'my';

/** A registered page: its `data` (kept current by `setData`) and its methods. */
export interface PageInstance {
  data: Record<string, any>;
  setData(patch: Record<string, unknown>): void;
  [method: string]: any;
}

/** What the platform shim saw, for assertions. */
export interface PlatformLog {
  /** Every socket URL opened, in order. */
  sockets: string[];
  /** Sockets currently open. */
  open: number;
  /** Every request URL, in order. */
  requests: string[];
}

export interface MiniProgram {
  context: vm.Context;
  /** The page registered by `pagePath` (its `Page({...})` object). */
  page: PageInstance;
  log: PlatformLog;
  /** Closes any socket the page left open. */
  close(): void;
}

export interface MiniProgramOptions {
  platform: MiniProgramPlatform;
  /** The mini-program's folder (where app.json is). */
  root: string;
  /** The page's file, relative to `root`, e.g. `pages/index/index.js`. */
  pagePath: string;
  /** Modules replaced by these exports, by path relative to `root` (e.g. `config.js`). */
  modules?: Record<string, unknown>;
}

/** Globals a mini-program does not have, checked absent before any page code runs. */
export const ABSENT = ['TextEncoder', 'TextDecoder', 'btoa', 'atob', 'crypto', 'URL', 'fetch', 'WebSocket', 'navigator', 'window', 'self', 'document', 'process', 'Buffer', 'mqtt'] as const;

export function loadMiniProgram({ platform, root, pagePath, modules = {} }: MiniProgramOptions): MiniProgram {
  const log: PlatformLog = { sockets: [], open: 0, requests: [] };
  const sockets = new Set<WebSocket>();
  const registered: { page?: PageInstance } = {};
  const context = vm.createContext({ setTimeout, clearTimeout, setInterval, clearInterval, console });
  const present = vm.runInContext(`${JSON.stringify(ABSENT)}.filter((name) => typeof globalThis[name] !== 'undefined')`, context) as string[];
  if (present.length) throw new Error(`the mini-program sandbox is not bare: it has ${present.join(', ')}`);

  // Values the page's code checks with instanceof must come from its own realm.
  const realm = vm.runInContext('({ ArrayBuffer, Uint8Array, parse: JSON.parse })', context) as { ArrayBuffer: ArrayBufferConstructor; Uint8Array: Uint8ArrayConstructor; parse: (text: string) => unknown };
  const toRealmBuffer = (bytes: Buffer): ArrayBuffer => {
    const buffer = new realm.ArrayBuffer(bytes.length);
    new realm.Uint8Array(buffer).set(bytes);
    return buffer;
  };
  const fromPage = (data: unknown): Buffer => (typeof data === 'string' ? Buffer.from(data) : Buffer.from(new Uint8Array(data as ArrayBuffer)));

  function openSocket(url: string, protocols: string | string[] | undefined): WebSocket {
    const socket = new WebSocket(url, protocols);
    sockets.add(socket);
    log.sockets.push(url);
    socket.on('open', () => log.open++);
    socket.on('close', () => {
      sockets.delete(socket);
      log.open = sockets.size;
    });
    return socket;
  }

  async function request(url: string, method: string, requestHeaders: Record<string, string>, body: string | undefined) {
    log.requests.push(url);
    const response = await fetch(url, { method, headers: requestHeaders, body });
    const text = await response.text();
    let data: unknown = text;
    try {
      data = realm.parse(text);
    } catch {
      // not JSON: the text as is
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, data, headers };
  }

  if (platform === 'wx') {
    context.wx = {
      connectSocket({ url, protocols }: { url: string; protocols?: string[] }) {
        const socket = openSocket(url, protocols);
        return {
          send({ data, success, fail }: { data: unknown; success?: () => void; fail?: (e: { errMsg: string }) => void }) {
            socket.send(fromPage(data), (error) => (error ? fail?.({ errMsg: error.message }) : success?.()));
          },
          close({ success }: { success?: () => void } = {}) {
            socket.close();
            success?.();
          },
          onOpen: (cb: (res: object) => void) => socket.on('open', () => cb({})),
          onMessage: (cb: (res: { data: ArrayBuffer }) => void) => socket.on('message', (data: Buffer) => cb({ data: toRealmBuffer(data) })),
          onClose: (cb: (res: object) => void) => socket.on('close', (code: number, reason: Buffer) => cb({ code, reason: String(reason) })),
          onError: (cb: (res: { errMsg: string }) => void) => socket.on('error', (error: Error) => cb({ errMsg: error.message })),
        };
      },
      request({ url, method = 'GET', header = {}, data, success, fail }: { url: string; method?: string; header?: Record<string, string>; data?: unknown; success?: (res: object) => void; fail?: (e: object) => void }) {
        const body = data === undefined || method === 'GET' ? undefined : typeof data === 'string' ? data : JSON.stringify(data);
        request(url, method, header, body).then(
          (res) => success?.({ statusCode: res.status, data: res.data, header: res.headers }),
          (error: Error) => fail?.({ errMsg: `request:fail ${error.message}` }),
        );
      },
    };
  } else {
    // Alipay's socket API is one socket at a time, with handlers on `my` itself.
    let current: WebSocket | undefined;
    const handlers: Record<string, ((res: object) => void)[]> = { open: [], message: [], close: [], error: [] };
    const fire = (event: string, res: object) => handlers[event]!.forEach((cb) => cb(res));
    context.my = {
      connectSocket({ url, protocols }: { url: string; protocols?: string | string[] }) {
        const socket = (current = openSocket(url, protocols));
        socket.on('open', () => fire('open', {}));
        // Binary frames arrive Base64-encoded, flagged isBuffer.
        socket.on('message', (data: Buffer) => fire('message', { data: data.toString('base64'), isBuffer: true }));
        socket.on('close', () => socket === current && fire('close', {}));
        socket.on('error', (error: Error) => fire('error', { errorMessage: error.message }));
      },
      sendSocketMessage({ data, success, fail }: { data: unknown; success?: () => void; fail?: () => void }) {
        if (!current) return fail?.();
        current.send(fromPage(data), (error) => (error ? fail?.() : success?.()));
      },
      closeSocket({ success }: { success?: () => void } = {}) {
        current?.close();
        success?.();
      },
      onSocketOpen: (cb: (res: object) => void) => void handlers.open!.push(cb),
      onSocketMessage: (cb: (res: object) => void) => void handlers.message!.push(cb),
      onSocketClose: (cb: (res: object) => void) => void handlers.close!.push(cb),
      onSocketError: (cb: (res: object) => void) => void handlers.error!.push(cb),
      request({ url, method = 'GET', headers = {}, data, success, fail }: { url: string; method?: string; headers?: Record<string, string>; data?: string; success?: (res: object) => void; fail?: (e: object) => void }) {
        request(url, method, headers, method === 'GET' ? undefined : data).then(
          (res) => success?.({ status: res.status, data: res.data, headers: res.headers }),
          (error: Error) => fail?.({ error: 19, errorMessage: error.message }),
        );
      },
    };
  }

  context.App = () => undefined;
  context.Page = (config: PageInstance) => {
    config.setData = (patch) => void Object.assign(config.data, patch);
    registered.page = config;
  };

  // CommonJS as mini-programs do it: paths relative to the requiring file, `.js` optional.
  const cache = new Map<string, { exports: unknown }>();
  function load(file: string): unknown {
    const key = relative(root, file).split('\\').join('/');
    if (key in modules) return modules[key];
    let module = cache.get(file);
    if (!module) {
      module = vm.runInContext('({ exports: {} })', context) as { exports: unknown };
      cache.set(file, module);
      const fn = vm.compileFunction(readFileSync(file, 'utf8'), ['require', 'module', 'exports'], { parsingContext: context, filename: file });
      fn((id: string) => load(resolve(dirname(file), id.endsWith('.js') ? id : `${id}.js`)), module, module.exports);
    }
    return module.exports;
  }
  load(join(root, pagePath));
  if (!registered.page) throw new Error(`${pagePath} registered no Page`);

  return {
    context,
    page: registered.page,
    log,
    close() {
      for (const socket of sockets) socket.terminate();
    },
  };
}
