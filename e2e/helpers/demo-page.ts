/**
 * Driving the test pages in `e2e/pages/` (script-tag.html, esm.html, both running demo.js) from
 * playwright-core: build their URLs, wait for their state, count their WebSocket attempts.
 * @module
 */
import type { Page } from 'playwright-core';
import type { PageLog } from './chromium.js';
import type { StaticServer } from './static-server.js';
import { withTimeout } from './wait.js';

/** The query parameters demo.js reads. */
export interface DemoParams {
  host: string;
  port: number;
  instanceId: string;
  clientId: string;
  mode: 'signature' | 'device' | 'custom' | 'token';
  accessKeyId: string;
  secret: string;
  topic: string;
  tokenType?: 'R' | 'W' | 'RW';
  via?: 'connectAsync' | 'connect';
  protocolVersion?: 4 | 5;
  path?: string;
}

/** What `window.demo` holds (see demo.js). */
export interface DemoState {
  state: string;
  backend: string;
  error: { name: string; code?: string | number; returnCode?: number; message: string } | null;
  messages: { topic: string; text: string }[];
}

/** The roots a static server needs to serve the demo pages and the bundles they load. */
export function demoRoots(root: string): Record<string, string> {
  return {
    '/': `${root}/e2e/pages`,
    '/dist/': `${root}/dist`,
    '/node_modules/mqtt/dist/': `${root}/node_modules/mqtt/dist`,
    '/node_modules/@noble/hashes/': `${root}/node_modules/@noble/hashes`,
  };
}

/** The URL of `page` (e.g. `script-tag.html`) with `params`, under `host` (default 127.0.0.1). */
export function demoUrl(server: StaticServer, page: string, params: DemoParams, host?: string): string {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return `${server.url(`/${page}`, host)}?${query}`;
}

const FINAL = new Set(['subscribed', 'refused', 'failed', 'invalid', 'offline']);

/**
 * Waits until the page reaches a final state, then checks it is `expected`. Fails with the page's
 * error text and console log otherwise, so a broken page explains itself.
 */
export async function waitForDemoState(page: Page, expected: string, log: PageLog, timeout = 20_000): Promise<DemoState> {
  let state: DemoState | undefined;
  try {
    const handle = await page.waitForFunction((final) => {
      const demo = (window as unknown as { demo?: { state: string } }).demo;
      return demo && final.includes(demo.state) ? demo : undefined;
    }, [...FINAL], { timeout, polling: 50 });
    state = (await handle.jsonValue()) as DemoState;
  } catch (error) {
    throw new Error(`the page did not reach "${expected}": ${(error as Error).message}\n${log.text()}`);
  }
  if (state.state !== expected) throw new Error(`the page reached "${state.state}" instead of "${expected}": ${JSON.stringify(state.error)}\n${log.text()}`);
  return state;
}

/** Waits (bounded) until the page shows a message with `text` in its list, and returns the list's text. */
export async function waitForDemoMessage(page: Page, text: string, timeout = 10_000): Promise<string> {
  const item = page.locator('#messages li', { hasText: text });
  await withTimeout(item.first().waitFor({ state: 'visible', timeout }), timeout + 1000, `"${text}" on the page`);
  return (await page.locator('#messages').textContent()) ?? '';
}

/**
 * Makes the page count the WebSockets it opens (`window.__webSockets`), before any of its scripts
 * run: the honest measure of connection attempts, independent of the page's own bookkeeping.
 */
export async function countWebSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __webSockets: number; WebSocket: typeof WebSocket };
    w.__webSockets = 0;
    const Native = w.WebSocket;
    w.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.__webSockets++;
      }
    };
  });
}

/** How many WebSockets the page opened (after {@link countWebSockets}). */
export function webSocketCount(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __webSockets: number }).__webSockets);
}
