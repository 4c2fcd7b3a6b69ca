/**
 * The publish gate: while a new token is being uploaded in band (`$SYS/uploadToken`, QoS 1), the
 * app's publishes and subscribes wait for its PUBACK, then go out in the order they were made.
 * @module
 */

/** @internal */
export interface Gate<Call> {
  /** Holds `call` while an upload is in flight (true), or leaves it to go out now (false). */
  hold(call: Call): boolean;
  /** An upload starts; call the returned function once it is acknowledged (or failed). */
  begin(): () => void;
  /** Lets every held call go, in order (a new connection, a closed one, the end). */
  release(): void;
}

/** @internal `run` sends a held call when the gate opens. */
export function _createGate<Call>(run: (call: Call) => void): Gate<Call> {
  let held: Call[] | undefined;
  let uploads = 0;
  // Bumped when the gate opens, so that uploads of an older connection cannot reopen it.
  let generation = 0;

  const release = () => {
    const batch = held ?? [];
    held = undefined;
    uploads = 0;
    generation++;
    for (const call of batch) run(call);
  };

  return {
    hold(call) {
      held?.push(call);
      return held !== undefined;
    },
    begin() {
      // A second upload before the first is acknowledged shares its gate: nothing held is dropped,
      // and the gate opens when the last one is acknowledged.
      held ??= [];
      uploads++;
      const mine = generation;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (mine === generation && --uploads === 0) release();
      };
    },
    release,
  };
}
