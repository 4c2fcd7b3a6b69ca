/**
 * Debian's Chromium through playwright-core, launched as the browser test project launches it
 * (same executable and flags, from `vitest.config.ts`), plus page diagnostics and screenshots.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../vitest.config.js';
import { ARTIFACTS } from './paths.js';


/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Flags added after the standard ones, e.g. `--host-resolver-rules=MAP dashboard.test 127.0.0.1`. */
  args?: readonly string[];
  /** Milliseconds to wait for the browser to start (default 30 s). */
  timeout?: number;
}

/** Launches headless Chromium. The caller closes it (`browser.close()`) in `afterAll`. */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    headless: true,
    timeout: options.timeout ?? 30_000,
  });
}

/** What a page printed and threw, kept for assertions and failure messages. */
export interface PageLog {
  readonly lines: string[];
  /** The log as one string, for `expect(..., log.text())` style messages. */
  text(): string;
}

/** Records the page's console messages, uncaught errors and failed requests. */
export function recordPage(page: Page): PageLog {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => lines.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { lines, text: () => lines.join('\n') };
}

/** Saves a full-page screenshot as `artifacts/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A response a page received, with its body as text (empty where there is none, e.g. a 204). */
export interface SeenResponse {
  url: string;
  status: number;
  body: string;
}

/**
 * Records every response `page` receives from now on, body included, for assertions such as "no
 * secret reached the page". Await `all()` after the page is done: bodies are read as they arrive.
 */
export function recordResponses(page: Page): { all(): Promise<SeenResponse[]> } {
  const seen: Promise<SeenResponse>[] = [];
  page.on('response', (response) =>
    seen.push(
      response.text().then(
        (body) => ({ url: response.url(), status: response.status(), body }),
        () => ({ url: response.url(), status: response.status(), body: '' }),
      ),
    ),
  );
  return { all: () => Promise.all(seen) };
}
