/**
 * What the test tools (chai, fast-check) read from the host when they load, and a bare engine
 * lacks. esbuild injects these into the suite bundle as module-scoped bindings (`inject`), never as
 * globals: the SDK under test runs beside the bundle in the same engine and must still find none of
 * them. Where the host has the real thing, that is used.
 */
const host = globalThis as Record<string, unknown>;

/** chai announces plugin methods through an EventTarget; nobody listens here. */
class BareEvent {
  constructor(readonly type: string) {}
}

class BareEventTarget {
  readonly #listeners = new Map<string, ((event: BareEvent) => void)[]>();
  addEventListener(type: string, listener: (event: BareEvent) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  removeEventListener(type: string, listener: (event: BareEvent) => void): void {
    this.#listeners.set(type, (this.#listeners.get(type) ?? []).filter((l) => l !== listener));
  }
  dispatchEvent(event: BareEvent): boolean {
    for (const listener of this.#listeners.get(event.type) ?? []) listener(event);
    return true;
  }
}

export const Event = (host.Event as typeof BareEvent | undefined) ?? BareEvent;
export const EventTarget = (host.EventTarget as typeof BareEventTarget | undefined) ?? BareEventTarget;

const noTimers = (): never => {
  throw new Error('this engine has no timers');
};
/** fast-check keeps a reference for its (unused here) time limits. */
export const setTimeout = (host.setTimeout as typeof noTimers | undefined) ?? noTimers;
export const clearTimeout = (host.clearTimeout as typeof noTimers | undefined) ?? noTimers;
