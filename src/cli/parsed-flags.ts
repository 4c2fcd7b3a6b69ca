/**
 * Parsed flags with typed getters: what the parser (`args.ts`) hands a command's `run`.
 * @module
 */

/** Parsed flags with typed getters. */
export class Flags {
  readonly #values: Record<string, string | boolean | undefined>;
  constructor(values: Record<string, string | boolean | undefined>) {
    this.#values = values;
  }
  /** The value of a string flag, if given. */
  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === 'string' ? value : undefined;
  }
  /** Whether a boolean flag was given. */
  bool(name: string): boolean {
    return this.#values[name] === true;
  }
  /** Whether a flag was given at all. */
  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }
  /** The names of the flags given. */
  given(): string[] {
    return Object.keys(this.#values).filter((name) => this.#values[name] !== undefined);
  }
}
