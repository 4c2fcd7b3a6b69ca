/**
 * `mini-program.ts` as the main script build has it (see rollup.config.ts): pages have no
 * mini-program platform, so the script they load does not carry that code. The transports are
 * refused with what to use instead; the single-file build has them.
 * @module
 */
import { _invalid } from '../errors.js';

/** @internal Never a mini-program here. */
export const _miniProgramTransport = (): undefined => undefined;

/** @internal No options for the page transports; the mini-program ones are refused. */
export function _miniProgramOptions(transport: string): Record<string, unknown> {
  if (/^(wx|ali)/.test(transport)) throw _invalid('transport', `"${transport}" is for mini-programs: load apsaramq-mqtt-auth.full.umd.min.js there`);
  return {};
}
