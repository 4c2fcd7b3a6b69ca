/** The one constant-time comparison (passwords, signatures, control secrets, token MACs). */
import { describe, expect, it } from 'vitest';
import { _constantTimeEqual } from '../../src/internal/equal.js';

describe('_constantTimeEqual', () => {
  it('is plain string equality, over any lengths', () => {
    const cases: [string, string, boolean][] = [
      ['abc', 'abc', true],
      ['abc', 'abd', false],
      ['abc', 'abcd', false],
      ['abcd', 'abc', false],
      ['', '', true],
      ['', 'a', false],
      ['a', '', false],
      ['abcabc', 'abc', false], // the expected text repeated is not the expected text
      ['ñ𝄞\u0000x', 'ñ𝄞\u0000x', true],
      ['ñ𝄞\u0000x', 'ñ𝄞\u0000y', false],
      ['\ud834', '\udd1e', false],
    ];
    for (const [given, expected, equal] of cases) expect(_constantTimeEqual(given, expected), `${JSON.stringify(given)} vs ${JSON.stringify(expected)}`).toBe(equal);
  });

  it('agrees with === on random texts', () => {
    const alphabet = 'ab\u00e9\u{1F600}';
    const random = () => Array.from({ length: Math.floor(Math.random() * 6) }, () => [...alphabet][Math.floor(Math.random() * 4)]).join('');
    for (let i = 0; i < 2000; i++) {
      const a = random();
      const b = Math.random() < 0.3 ? a : random();
      expect(_constantTimeEqual(a, b)).toBe(a === b);
    }
  });
});
