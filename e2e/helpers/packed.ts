/**
 * The package as a user installs it: `npm pack` of this checkout, installed from the tarball into a
 * new project, offline (nothing but files from this checkout: @noble/hashes is packed from its
 * node_modules too, and mqtt, a peer npm would fetch from the registry, is linked in from there).
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './paths.js';

const run = promisify(execFile);

/** A project with the packed package installed. */
export interface PackedProject {
  /** The project folder (its package.json and node_modules; `npx apsaramq-mqtt-auth` works in it and below it). */
  dir: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
}

/** Packs this checkout into `dir` and installs it into `dir/consumer`, a new project. `dist/` must be built. */
export async function installPacked(dir: string): Promise<PackedProject> {
  const pack = async (what: string[]) => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, ...what], { cwd: ROOT, timeout: 60_000 });
    return join(dir, stdout.trim().split('\n').at(-1)!);
  };
  const tarball = await pack([]);
  // Offline and from files only: npm resolves a registry range through the package's metadata, which an
  // install from a lockfile never caches, so the one runtime dependency is packed from this checkout too
  // and satisfies the tarball's range without a look-up.
  const noble = await pack([join(ROOT, 'node_modules', '@noble', 'hashes')]);
  const consumer = join(dir, 'consumer');
  await mkdir(consumer, { recursive: true });
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  // --legacy-peer-deps: mqtt, a peer, would be fetched from the registry; this checkout's copy is linked in below.
  await run('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', '--ignore-scripts', tarball, noble], { cwd: consumer, timeout: 120_000 });
  // Its own dependencies resolve beside it, in this checkout.
  await symlink(join(ROOT, 'node_modules', 'mqtt'), join(consumer, 'node_modules', 'mqtt'), 'dir');
  return { dir: consumer, tarball };
}
