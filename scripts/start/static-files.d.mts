/** Types of static-files.mjs, for the e2e static server built on it. */
export declare const MIME_TYPES: Readonly<Record<string, string>>;
/** The answer for a path nothing serves (404, plain text, not cached). */
export declare function notFound(): Response;
/**
 * Serves `mounts` (URL prefix ending in `/` → directory; the longest prefix wins); resolves with
 * `undefined` when no mount matches.
 */
export declare function staticFiles(mounts: Readonly<Record<string, string>>): (request: Request) => Promise<Response | undefined>;
