/**
 * The public surface of each package entry, recorded: API Extractor reads the built declarations
 * (`dist/*.d.ts`, what users get) and writes one report per entry into `api/`. `--check` (CI) fails
 * when the surface differs from the checked-in report; without it the reports are rewritten
 * (`npm run api:update`), so a change to the API shows up in review as a diff of `api/*.api.md`.
 *
 * It fails on an exported declaration or member without TSDoc, on a type a signature uses that the entry
 * does not export, when one name means two things (a name exported by several entries must have the same
 * declaration in each), and on anything `@deprecated` in the built declarations: the package ships without
 * leftovers, so a renamed or retired export goes, it does not linger as an alias.
 *
 * Needs `npm run build` first.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

/** Package entry (`exports` subpath) → its declarations and its report. */
export const ENTRIES = [
  { subpath: '.', dts: 'dist/index.d.ts', report: 'apsaramq-mqtt-auth.api.md' },
  { subpath: './server', dts: 'dist/server.d.ts', report: 'apsaramq-mqtt-auth-server.api.md' },
  { subpath: './broker', dts: 'dist/broker.d.ts', report: 'apsaramq-mqtt-auth-broker.api.md' },
];

/** What API Extractor may complain about, and how loudly. */
const messages = {
  compilerMessageReporting: { default: { logLevel: 'error' } },
  extractorMessageReporting: {
    default: { logLevel: 'error' },
    // Release tags (@public/@beta) are not used: everything exported is public; `@internal` is stripped by the build.
    'ae-missing-release-tag': { logLevel: 'none' },
    // Every exported declaration and member has TSDoc (the house rule); one without fails, naming it.
    'ae-undocumented': { logLevel: 'error' },
  },
  tsdocMessageReporting: { default: { logLevel: 'error' } },
};

let failed = false;
mkdirSync(join(ROOT, 'api'), { recursive: true });
for (const entry of ENTRIES) {
  const dts = join(ROOT, entry.dts);
  if (!existsSync(dts)) {
    console.error(`api-report: ${entry.dts} is missing; run npm run build first`);
    process.exit(2);
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath: dts,
      compiler: { overrideTsconfig: { compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: ['node'], skipLibCheck: true, strict: true }, files: [dts] } },
      apiReport: { enabled: true, reportFolder: join(ROOT, 'api'), reportTempFolder: join(ROOT, '.tmp/api'), reportFileName: entry.report, includeForgottenExports: false },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages,
    },
    configObjectFullPath: join(ROOT, 'api', 'api-extractor.json'),
    packageJsonFullPath: join(ROOT, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false, messageCallback: (message) => {
    if (message.logLevel === 'none') message.handled = true;
  } });
  const label = `${entry.subpath} (api/${entry.report})`;
  if (result.errorCount > 0) {
    console.error(`api-report: ${label}: ${result.errorCount} error(s) above`);
    failed = true;
  } else if (check && result.apiReportChanged) {
    console.error(`api-report: the public surface of ${label} changed; run npm run api:update and commit the report (the diff is the API change)`);
    failed = true;
  } else {
    console.log(`api-report: ${label} ${result.apiReportChanged ? 'updated' : 'unchanged'}`);
  }
}
/** `file:line` of every `@deprecated` tag in the declaration files under `dir` (`.d.ts`, `.d.cts`, `.d.mts`). */
export function deprecatedTags(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.d\.[cm]?ts$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/@deprecated\b/.test(line)) found.push(`${file.slice(ROOT.length + 1)}:${i + 1}`);
    });
  }
  return found;
}

const deprecated = deprecatedTags(join(ROOT, 'dist'));
if (deprecated.length > 0) {
  console.error(`api-report: @deprecated in the built declarations (remove the alias or option instead; nothing depends on it before a release):\n  ${deprecated.join('\n  ')}`);
  failed = true;
}

/** Each exported name of a report, with its declaration as the report writes it. */
export function declarations(report) {
  const body = report.slice(report.indexOf('```ts'), report.lastIndexOf('```'));
  const found = new Map();
  for (const chunk of body.split(/\n(?=\/\/ @public)/)) {
    const name = /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|enum|namespace) ([A-Za-z_$][\w$]*)/m.exec(chunk)?.[1];
    if (!name) continue;
    const previous = found.get(name);
    // Overloads and declaration merging: one name, several chunks.
    found.set(name, { text: `${previous?.text ?? ''}${chunk.replace(/^\/\/ .*\n/gm, '').trim()}\n` });
  }
  return found;
}

const byEntry = ENTRIES.map((entry) => {
  try {
    return { entry, names: declarations(readFileSync(join(ROOT, 'api', entry.report), 'utf8')) };
  } catch {
    return { entry, names: new Map() };
  }
});
for (let i = 0; i < byEntry.length; i++) {
  for (let j = i + 1; j < byEntry.length; j++) {
    const [a, b] = [byEntry[i], byEntry[j]];
    for (const [name, declaration] of a.names) {
      const other = b.names.get(name);
      if (!other || declaration.text === other.text) continue;
      console.error(`api-report: "${name}" means different things in ${a.entry.subpath} and ${b.entry.subpath}; give one a clearer name`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
