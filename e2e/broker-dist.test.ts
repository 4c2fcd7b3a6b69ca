/**
 * The built `apsaramq-mqtt-auth/broker` entry (dist/, from `npm run build`): ESM import and CJS
 * require both start a working broker; the client entry's import graph and the UMD bundle never
 * reach broker code or Node built-ins.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AK, INSTANCE, closeAll, connect } from './broker-helpers.js';

const run = promisify(execFile);
const DIST = resolve(import.meta.dirname, '../dist');
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8'));

afterAll(closeAll);

type BrokerModule = typeof import('../src/broker/broker-entry.js');
type ClientModule = typeof import('../src/index.js');

/** Every file the ESM/CJS file `entry` loads statically or dynamically, relative imports followed. */
function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // Whole literals only: rollup's CJS `import.meta.url` shim builds `require('u' + 'rl')` for Node.
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"](?!\s*\+)/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], bare: [...bare] };
}

describe('dist/broker', () => {
  it('is exported as ./broker with types first, for import and require', () => {
    expect(pkg.exports['./broker']).toEqual({
      import: { types: './dist/broker.d.ts', default: './dist/broker.js' },
      require: { types: './dist/broker.d.cts', default: './dist/broker.cjs' },
    });
    for (const peer of ['aedes', 'ws', 'mqtt-packet']) expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
  });

  it('resolves by name through the exports map (package self-reference), for import and require', async () => {
    const script = `const esm = await import('apsaramq-mqtt-auth/broker');
      const cjs = (await import('node:module')).createRequire(process.cwd() + '/').call(null, 'apsaramq-mqtt-auth/broker');
      console.log(JSON.stringify({ esm: typeof esm.startBroker, cjs: typeof cjs.startBroker, same: esm.startBroker === cjs.startBroker }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '..'), timeout: 30_000 });
    // Two builds (ESM and CJS), each with a working startBroker.
    expect(JSON.parse(stdout)).toEqual({ esm: 'function', cjs: 'function', same: false });
  });

  it.each(['import', 'require'] as const)('starts a broker that accepts a Signature client (%s)', async (how) => {
    const broker: BrokerModule =
      how === 'import' ? await import(pathToFileURL(join(DIST, 'broker.js')).href) : createRequire(import.meta.url)(join(DIST, 'broker.cjs'));
    const client: ClientModule = how === 'import' ? await import(pathToFileURL(join(DIST, 'index.js')).href) : createRequire(import.meta.url)(join(DIST, 'index.cjs'));
    const running = await broker.startBroker({ instanceId: INSTANCE, accessKeys: [AK], httpPort: false });
    try {
      const clientId = `GID_dist@@@${how}`;
      const credentials = await client.signatureCredentials({ ...AK, instanceId: INSTANCE, clientId });
      const mqtt = await connect(running, { clientId, credentials });
      expect(running.sessions().map((s) => s.clientId)).toContain(clientId);
      await mqtt.endAsync();
      // One error class across both entries: a broker error is an instance of the client's class.
      expect(() => running.url('nope' as never)).toThrow(client.ApsaraMqttAuthError);
    } finally {
      await running.close();
    }
  });

  it('keeps the client entry and the UMD bundle free of broker code and Node built-ins', () => {
    for (const entry of ['index.js', 'index.cjs']) {
      const graph = importGraph(join(DIST, entry));
      expect(graph.bare.filter((s) => !s.startsWith('@noble/hashes') && s !== 'mqtt')).toEqual([]);
      for (const file of graph.files) expect(readFileSync(file, 'utf8')).not.toMatch(/aedes|startBroker|createWebSocketStream/);
    }
    const umd = readFileSync(join(DIST, 'apsaramq-mqtt-auth.umd.min.js'), 'utf8');
    expect(umd).not.toMatch(/aedes|startBroker|node:/);
  });
});
