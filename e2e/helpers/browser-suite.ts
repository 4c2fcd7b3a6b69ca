/**
 * The browser round trip, run against any broker with a WebSocket listener: the script-tag page
 * (mqtt.js's mqtt.min.js + our minified UMD) and the ESM page (dist/index.js + mqtt.esm.js via an
 * import map) compute credentials in the page, connect, subscribe, show a message a Node client
 * published, and show a readable refusal without retrying. Used by browser-mosquitto.test.ts and
 * by the local-broker browser test.
 * @module
 */
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, recordPage, screenshot, type LaunchOptions } from './chromium.js';
import { ROOT } from './paths.js';
import { countWebSockets, demoRoots, demoUrl, waitForDemoMessage, waitForDemoState, webSocketCount, type DemoParams } from './demo-page.js';
import { endAll } from './mqtt.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { WAIT } from './wait.js';

/** An identity a page signs with (the broker accepts it unless the secret is wrong on purpose). */
export type PageIdentity = Pick<DemoParams, 'instanceId' | 'clientId' | 'mode' | 'accessKeyId' | 'secret' | 'tokenType'>;

/** A running broker, as the suite needs it. */
export interface RunningTarget {
  /** The WebSocket listener on 127.0.0.1 (path `/mqtt`). */
  wsPort: number;
  /** Publishes from a Node mqtt.js client (QoS 1). */
  publish(topic: string, payload: string): Promise<void>;
  /** How many connections the broker has refused so far (read from the broker, not the page). */
  refusals(): number;
  /** Stops the broker and the Node client (bounded). */
  stop(): Promise<void>;
}

/** A page identity with client id `GID_web@@@<device>`. */
export function pageIdentity(instanceId: string, device: string, mode: PageIdentity['mode'], accessKeyId: string, secret: string): PageIdentity {
  return { instanceId, clientId: `GID_web@@@${device}`, mode, accessKeyId, secret };
}

/**
 * A {@link RunningTarget} from a started broker and a Node publisher: connects the publisher with
 * `connectPublisher`, and stops the broker if that fails; `stop` ends the publisher, then the broker.
 */
export async function withPublisher(
  broker: { wsPort: number; refusals: () => number; stop: () => Promise<void> },
  connectPublisher: () => Promise<MqttClient>,
): Promise<RunningTarget> {
  let publisher: MqttClient;
  try {
    publisher = await connectPublisher();
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return {
    wsPort: broker.wsPort,
    publish: async (topic, payload) => void (await publisher.publishAsync(topic, payload, { qos: 1 })),
    refusals: broker.refusals,
    stop: async () => {
      await endAll([publisher]);
      await broker.stop();
    },
  };
}

/** A broker to run the browser round trip against. */
export interface BrowserTarget {
  /** Short name, used in test names and screenshot file names. */
  name: string;
  /** Identities the broker accepts, one per page. */
  umd: PageIdentity;
  esm: PageIdentity;
  /** An identity whose secret is wrong: the broker must refuse it. */
  refused: PageIdentity;
  /** The CONNACK code the refusal must show (5 for MQTT 3.1.1). */
  refusalCode: number;
  start(): Promise<RunningTarget>;
}

/** Chromium, a static server for the pages and the broker, shared by one test file. */
export interface BrowserRig {
  browser: Browser;
  server: StaticServer;
  target: RunningTarget;
}

/** Starts Chromium, the static server and the target in `beforeAll`; stops all three in `afterAll`. */
export function useBrowserRig(target: BrowserTarget, launch: LaunchOptions = {}): () => BrowserRig {
  let rig: Partial<BrowserRig> = {};
  beforeAll(async () => {
    rig.target = await target.start();
    rig.server = await startStaticServer({ roots: demoRoots(ROOT) });
    rig.browser = await launchChromium(launch);
  });
  afterAll(async () => {
    await Promise.allSettled([rig.browser?.close(), rig.server?.close(), rig.target?.stop()]);
    rig = {};
  });
  return () => rig as BrowserRig;
}

const PAGES = [
  { kind: 'umd', file: 'script-tag.html', label: 'script-tag page (mqtt.min.js + UMD bundle)' },
  { kind: 'esm', file: 'esm.html', label: 'ESM page (dist/index.js + mqtt.esm.js)' },
] as const;

/** The round trip and the refusal, for both pages, against `target`. */
export function browserRoundTripSuite(target: BrowserTarget, rig: () => BrowserRig): void {
  describe(`Chromium pages against ${target.name} over WebSocket`, () => {
    let context: BrowserContext | undefined;
    afterEach(async () => {
      await context?.close();
      context = undefined;
    });

    it.each(PAGES)('$label: signs in the page, subscribes and shows a message published from Node', async ({ kind, file }) => {
      const { browser, server, target: running } = rig();
      context = await browser.newContext();
      const page = await context.newPage();
      const log = recordPage(page);
      const topic = `web/${kind}`;
      const firstRequest = server.requests.length;
      await page.goto(demoUrl(server, file, { ...target[kind], host: '127.0.0.1', port: running.wsPort, topic }));
      const state = await waitForDemoState(page, 'subscribed', log);
      expect(state.backend).toBe('webcrypto');
      expect(await page.locator('#state').textContent()).toBe(`subscribed: ${topic}`);

      const payload = `temperature=21.5 from node (${kind})`;
      await running.publish(topic, payload);
      expect(await waitForDemoMessage(page, payload)).toBe(`${topic}: ${payload}`);
      expect(await page.locator('#error').textContent()).toBe('');
      // With WebCrypto at hand, the noble fallback is never fetched (the UMD carries it inside).
      expect(server.requests.slice(firstRequest).map((r) => r.url).filter((u) => /noble/.test(u))).toEqual([]);
      await screenshot(page, `browser-${target.name}-${kind}`);
    });

    it.each(PAGES.flatMap((p) => [{ ...p, via: 'connectAsync' as const }, { ...p, via: 'connect' as const }]))(
      '$label, $via: a wrong secret shows a readable refusal and the page stops trying',
      async ({ kind, file, via }) => {
        const { browser, server, target: running } = rig();
        context = await browser.newContext();
        const page = await context.newPage();
        const log = recordPage(page);
        await countWebSockets(page);
        // A fake clock lets the test run a minute of page time at once instead of sleeping through
        // reconnect periods; real time still flows until then.
        await page.clock.install();
        const before = running.refusals();
        await page.goto(demoUrl(server, file, { ...target.refused, host: '127.0.0.1', port: running.wsPort, topic: `web/refused/${kind}`, via }));
        const state = await waitForDemoState(page, 'refused', log);
        const shown = (await page.locator('#error').textContent()) ?? '';
        expect(shown).toMatch(/^Refused by the broker: /);
        expect(shown).toMatch(/not authorized/i);
        expect(state.error).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_CONNECT_REFUSED', returnCode: target.refusalCode });
        expect(shown).toContain(`(code ${target.refusalCode})`);
        expect(shown).not.toContain(target.refused.secret);
        expect(await webSocketCount(page)).toBe(1);

        await page.clock.runFor(60_000); // 30 reconnect periods of the default 2 s
        expect(await webSocketCount(page)).toBe(1);
        expect(await page.evaluate(() => (window as unknown as { demo: { state: string } }).demo.state)).toBe('refused');
        await vi.waitFor(() => expect(running.refusals() - before, `${target.name} to log the refusal`).toBeGreaterThanOrEqual(1), WAIT);
        expect(running.refusals() - before).toBe(1);
        await screenshot(page, `browser-${target.name}-${kind}-refused-${via}`);
      },
    );
  });
}
