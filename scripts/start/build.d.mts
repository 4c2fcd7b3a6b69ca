/** Types of build.mjs, for the tests that import it. */
export declare const BUILD_OUTPUTS: readonly string[];
export declare const BUILD_INPUTS: readonly string[];
/** Why `root` needs a build, or `undefined` when every output is newer than every input. */
export declare function buildNeeded(root: string): string | undefined;
/** Runs `npm run build` in `root` if needed; resolves with whether it ran. */
export declare function ensureBuilt(root: string, log: (line: string) => void): Promise<boolean>;
