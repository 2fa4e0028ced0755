import { describe, expect, it } from 'vitest';
import { fieldWithNul, refuseNul } from './text.js';

describe('fieldWithNul', () => {
  it('names the first field holding a NUL, at any depth, in values and keys', () => {
    expect(fieldWithNul({ a: 'ok', b: 'x\u0000y' })).toBe('b');
    expect(fieldWithNul({ customFields: { note: ['fine', 'bad\u0000'] } })).toBe('customFields.note[1]');
    expect(fieldWithNul({ customFields: { 'k\u0000': 1 } })).toBe('customFields.k\u0000');
    expect(fieldWithNul('\u0000')).toBe('value');
  });

  it('passes everything else, including other control characters and emoji', () => {
    expect(fieldWithNul({ a: 'tab\there', b: 'Zoë 🦄', c: 1, d: null, e: [true], f: {} })).toBeNull();
  });
});

describe('refuseNul', () => {
  it('throws a 400 naming the field', () => {
    expect(() => refuseNul({ name: 'a\u0000' })).toThrow(/name contains a NUL character/);
    expect(() => refuseNul({ name: 'a' })).not.toThrow();
  });
});
