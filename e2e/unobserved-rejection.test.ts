/**
 * The README's pattern, `connectAsync({ ..., credentials: signatureCredentials({...}) })` with an
 * invalid client id, in a Node process of its own running the built package: the app's `catch`
 * handles the rejection and the process ends normally (exit 0), with no unhandled rejection (which
 * Node turns into an uncaught error and exit 1). Both the ESM and the CJS build.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { startProcess } from './helpers/process.js';

const program = (load: string) => `
${load}
const clientId = 'not a client id';
const credentials = signatureCredentials({ accessKeyId: 'LTAI-child', accessKeySecret: 'child-secret-1', instanceId: 'mqtt-child', clientId });
process.on('exit', (code) => console.log('exit', code));
connectAsync({ instanceId: 'mqtt-child', clientId, credentials, transport: 'tcp', host: '127.0.0.1', port: 1 })
  .then(() => console.log('connected?'))
  .catch((e) => console.log('caught', e.code));
`;

describe('a rejected credentials promise in a process of its own', () => {
  it.each([
    ['ESM', ['--input-type=module', '-e', program(`import { connectAsync, signatureCredentials } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};`)]],
    ['CJS', ['-e', program(`const { connectAsync, signatureCredentials } = require(${JSON.stringify(join(ROOT, 'dist/index.cjs'))});`)]],
  ])('%s: the app catches ERR_INVALID_CLIENT_ID and the process exits 0', async (_build, args) => {
    const child = startProcess(process.execPath, args, { name: 'unobserved-rejection', cwd: ROOT });
    const { code } = await child.exited;
    expect(child.stdout()).toBe('caught ERR_INVALID_CLIENT_ID\nexit 0\n');
    expect(child.stderr()).toBe('');
    expect(code).toBe(0);
  });
});
