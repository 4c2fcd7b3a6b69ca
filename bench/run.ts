/**
 * `npm run bench`: every benchmark in one run, a table on stdout, bench/results.json (all
 * figures) and bench/results.md (the tables, as BENCHMARKS.md shows them).
 *
 *   npm run bench                       everything (several minutes)
 *   npm run bench -- --quick            fewer rounds: to try the harness, not to publish
 *   npm run bench -- --only node,bundles
 *
 * Sections: bundles, node, chromium, connect, server, rotation, fleet.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../e2e/helpers/paths.js';
import { bundles } from './bundles.js';
import { connectOverhead } from './connect.js';
import { fleetScale } from './fleet.js';
import { tokenRotation } from './rotation.js';
import { credentialServer } from './server.js';
import { signingChromium } from './signing-chromium.js';
import { signingNode } from './signing-node.js';
import { toMarkdown } from './markdown.js';
import type { BenchOptions, Section } from './types.js';

const SECTIONS: Record<string, (options: BenchOptions) => Promise<Section>> = {
  bundles,
  node: signingNode,
  chromium: signingChromium,
  connect: connectOverhead,
  server: credentialServer,
  rotation: tokenRotation,
  fleet: fleetScale,
};

function args(): { only: string[]; options: BenchOptions } {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : Object.keys(SECTIONS);
  for (const name of only) if (!SECTIONS[name]) throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
  return { only, options: { quick: argv.includes('--quick') } };
}

/** The first line a command prints (mosquitto -h prints its version but exits non-zero). */
function version(command: string, argv: string[]): string {
  const run = spawnSync(command, argv, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] });
  return run.stdout?.trim().split('\n')[0] || 'not found';
}

function machine() {
  return {
    nproc: Number(version('nproc', [])),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    chromium: version('/usr/bin/chromium', ['--version']),
    mosquitto: version('/usr/sbin/mosquitto', ['-h']).replace(/^mosquitto version /, ''),
    kernel: release(),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

function print(section: Section): void {
  console.log(`\n## ${section.title}\n${section.method}\n`);
  const width = Math.max(...section.rows.map((r) => r.name.length), 10);
  for (const row of section.rows) {
    const target = row.target ? `  target ${row.target}: ${row.met ? 'met' : 'NOT met'}` : '';
    console.log(`  ${row.name.padEnd(width)}  ${row.value}${row.ratio ? `  ${row.ratio}` : ''}${target}`);
  }
}

const { only, options } = args();
const meta = { date: new Date().toISOString(), quick: options.quick, machine: machine() };
console.log(`apsaramq-mqtt-auth benchmarks — ${meta.machine.nproc} cores (${meta.machine.cpu}), Node ${meta.machine.node}, ${meta.machine.chromium}; load average ${meta.machine.loadAverageAtStart.join(' ')}`);
const results: Record<string, Section> = {};
for (const name of only) {
  const section = await SECTIONS[name]!(options);
  results[name] = section;
  print(section);
}
const out = { ...meta, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))), sections: results };
await writeFile(join(ROOT, 'bench/results.json'), JSON.stringify(out, null, 2) + '\n');
await writeFile(join(ROOT, 'bench/results.md'), toMarkdown(meta, results));
console.log('\nwrote bench/results.json and bench/results.md');
