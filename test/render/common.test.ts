import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupDigits } from '../../src/render/common.js';

describe('groupDigits', () => {
  it("writes what toLocaleString('en-US') writes", () => {
    for (const v of [0, 7, 999, 1000, 12345, 999999, 1000000, 1234567890, Number.MAX_SAFE_INTEGER, -1234, 1.5, NaN]) {
      expect(groupDigits(v)).toBe(v.toLocaleString('en-US'));
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => groupDigits(v) === v.toLocaleString('en-US')));
  });
});
