/**
 * Where things are, for every e2e test.
 * @module
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where screenshots and other test artifacts go (gitignored). */
export const ARTIFACTS = join(ROOT, 'artifacts');
