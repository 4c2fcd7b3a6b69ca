/**
 * What a Username was meant to be: `Label|<id>|<instance>` read through the slips people make (the
 * label in another case or misspelt, white space around it, another separator between the parts),
 * so that `check` reads the secret of the mode the user meant and names each slip. The broker is
 * strict; this is the diagnosis of why it refuses.
 * @module
 */
import { USERNAME_LABELS, type AuthMode } from '../index.js';
import { editDistance } from './suggest.js';

const q = JSON.stringify;

/** A Username taken apart; `problems` lists what is malformed. */
export interface UsernameAsMeant {
  mode: AuthMode;
  /** False when the Username names no mode at all (then it is a custom identity's). */
  labelled: boolean;
  accessKeyId?: string;
  instanceId?: string;
  problems: string[];
}

const LABELLED = Object.entries(USERNAME_LABELS) as [Exclude<AuthMode, 'custom'>, string][];

/** The label `word` stands for: itself in any case, or a typo of one (`Signatrue`, `Tokens`). */
function labelOf(word: string): [Exclude<AuthMode, 'custom'>, string] | undefined {
  const lower = word.toLowerCase();
  return (
    LABELLED.find(([, label]) => label.toLowerCase() === lower) ??
    (lower.length >= 5 ? LABELLED.find(([, label]) => editDistance(label.toLowerCase(), lower) <= (lower.length < 8 ? 1 : 2)) : undefined)
  );
}

/**
 * `Label|<id>|<instance>`, or what the user most likely meant by it: the label in another case or
 * misspelt, white space around it, or another separator (`:`, `,`, `;`, `/`, `\`, white space) between
 * the parts. Anything else is a custom identity's username. A Username read as meant for a mode but
 * not written exactly so gets its `problems` listed.
 */
export function usernameAsMeant(username: string): UsernameAsMeant {
  const match = /^(\s*([A-Za-z]+)\s*)(\||[:;,/\\]|\s)([^]*)$/.exec(username);
  const entry = match && labelOf(match[2]!);
  if (!match || !entry || (match[3] !== '|' && match[4]!.trim() === '')) return { mode: 'custom', labelled: false, problems: [] };
  const [, head, , separator, rest] = match as unknown as [string, string, string, string, string];
  const [mode, label] = entry;
  const problems: string[] = [];
  if (head !== label) problems.push(`the Username starts with ${q(head)}; ApsaraMQ expects exactly ${q(label)}`);
  const shown = /\s/.test(separator) ? 'white space' : q(separator);
  if (separator !== '|') problems.push(`the Username separates its parts with ${shown}; ApsaraMQ expects "|": ${label}|<AccessKeyId>|<InstanceId>`);
  const fields = /\s/.test(separator) ? rest.trim().split(/\s+/) : rest.split(separator);
  if (fields.length !== 2) problems.push(`the Username has ${fields.length + 1} ${separator === '|' ? '"|"' : shown}-separated parts; ${label} mode needs 3: ${label}|<AccessKeyId>|<InstanceId>`);
  const result: UsernameAsMeant = { mode, labelled: true, problems };
  if (fields[0] !== undefined) result.accessKeyId = fields[0];
  if (fields[1] !== undefined) result.instanceId = fields.slice(1).join(separator);
  return result;
}
