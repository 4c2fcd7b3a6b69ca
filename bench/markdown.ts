/** The results as Markdown tables, for BENCHMARKS.md (written to bench/results.md on every run). */
import type { Section } from './types.js';

const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|');

export function toMarkdown(meta: { date: string; quick: boolean; machine: Record<string, unknown> }, sections: Record<string, Section>): string {
  const m = meta.machine;
  const lines = [
    `Run ${meta.date}${meta.quick ? ' (--quick: not for publishing)' : ''}: ${m.nproc} cores (${m.cpu}), Node ${m.node}, ${m.chromium}, mosquitto ${m.mosquitto}, Linux ${m.kernel}; load average at start ${(m.loadAverageAtStart as number[]).join(' ')}.`,
  ];
  for (const section of Object.values(sections)) {
    lines.push('', `### ${section.title}`, '', section.method, '', '| | result | ratio | target |', '|---|---|---|---|');
    for (const row of section.rows) {
      const target = row.target ? `${row.target}: ${row.met ? '**met**' : '**not met**'}` : '';
      lines.push(`| ${cell(row.name)} | ${cell(row.value)} | ${cell(row.ratio)} | ${cell(target)} |`);
    }
  }
  return lines.join('\n') + '\n';
}
