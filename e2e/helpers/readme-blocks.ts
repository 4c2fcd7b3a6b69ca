/**
 * The fenced code blocks of the README files, and how each one is run (`e2e/readme.test.ts`).
 *
 * The convention, by the block's info string (the word after the opening fence):
 * - `ts`: a Node program (ES module) importing the package by name; type-checked (strict) against the
 *   published declarations, then run by Node against `dist/`.
 * - `js`: the same without types (type-checked as JavaScript).
 * - `js mini-program`: a WeChat mini-program page (CommonJS, `Page`, `wx`), run in the sandbox of
 *   `e2e/helpers/mini-program.ts` beside examples/mini-program's `vendor/` and `config.js`.
 * - `html`: a page; its scripts are type-checked as JavaScript, then it is served on 127.0.0.1 and
 *   opened in Chromium.
 * - `sh`: shell commands, run by bash (`-euo pipefail`) in an empty folder with `apsaramq-mqtt-auth`
 *   on the PATH.
 * - `text`: output shown to the reader (not code); never run.
 * - `sh not-run: <reason>`: commands that cannot run in a test (they install from the registry, start
 *   a long-running demo, or reach Alibaba Cloud), with the reason. Only shell blocks may be exempted:
 *   code is always run.
 * @module
 */

/** What is done with a block. */
export type BlockKind = 'node-ts' | 'node-js' | 'mini-program' | 'page' | 'shell' | 'output' | 'not-run';

/** A fenced code block of a Markdown file. */
export interface ReadmeBlock {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** The line of the opening fence (1-based). */
  readonly line: number;
  /** The first word of the info string (`ts`, `sh`, …); empty when there is none. */
  readonly lang: string;
  /** The rest of the info string. */
  readonly meta: string;
  /** The heading the block sits under. */
  readonly heading: string;
  /** `<file>#<heading slug>`, plus `:<n>` for the n-th block (n > 1) under the same heading. */
  readonly id: string;
  /** The block's text, its indentation (inside a list item) removed. */
  readonly code: string;
}

/** The anchor GitHub gives a heading. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every fenced block of `markdown` (CommonMark fences of backticks or tildes, up to 3 spaces indented or in list items). */
export function extractBlocks(markdown: string, file: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  const perHeading = new Map<string, number>();
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const title = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (title) {
      heading = title[1]!;
      continue;
    }
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    for (; j < lines.length && !close.test(lines[j]!); j++) {
      const text = lines[j]!;
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: a code block is never closed`);
    const [lang = '', ...rest] = info.trim().split(/\s+/);
    const key = `${file}#${slug(heading)}`;
    const n = (perHeading.get(key) ?? 0) + 1;
    perHeading.set(key, n);
    blocks.push({ file, line: i + 1, lang, meta: rest.join(' '), heading, id: n === 1 ? key : `${key}:${n}`, code: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

/**
 * How a block is run, or why it cannot be: throws for a block that breaks the convention (no language,
 * an unknown one, or an exemption on code or without a reason).
 */
export function kindOf(block: ReadmeBlock): BlockKind {
  const where = `${block.file}:${block.line}`;
  const notRun = /^not-run:\s*(\S.*)$/.exec(block.meta);
  if (block.meta.startsWith('not-run') && !notRun) throw new Error(`${where}: "not-run" needs a reason: \`\`\`${block.lang} not-run: <why>`);
  if (notRun && block.lang !== 'sh') throw new Error(`${where}: only shell blocks may be marked not-run; ${block.lang} code is always run`);
  if (block.lang === 'js' && block.meta === 'mini-program') return 'mini-program';
  if (block.meta && !notRun) throw new Error(`${where}: unknown info string "${block.lang} ${block.meta}"`);
  switch (block.lang) {
    case 'ts':
      return 'node-ts';
    case 'js':
      return 'node-js';
    case 'html':
      return 'page';
    case 'sh':
      return notRun ? 'not-run' : 'shell';
    case 'text':
      return 'output';
    case '':
      throw new Error(`${where}: give the block a language (ts, js, html, sh, or text for output)`);
    default:
      throw new Error(`${where}: blocks in ${block.lang} are not run by e2e/readme.test.ts; use ts, js, html, sh or text`);
  }
}

/** The reason a `not-run` block gives. */
export function notRunReason(block: ReadmeBlock): string | undefined {
  return /^not-run:\s*(\S.*)$/.exec(block.meta)?.[1];
}

/** The inline scripts of a page: module or classic, in order. */
export function pageScripts(html: string): { module: boolean; code: string }[] {
  return [...html.matchAll(/<script\b([^>]*)>([^]*?)<\/script>/gi)]
    .filter(([, attributes]) => !/\bsrc\s*=/.test(attributes!) && !/type\s*=\s*["']?importmap/.test(attributes!))
    .map(([, attributes, code]) => ({ module: /type\s*=\s*["']?module/.test(attributes!), code: code! }));
}
