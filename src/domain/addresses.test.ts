import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizePhone, parseDefaultCountry } from './addresses.js';

const country = (code?: string) => parseDefaultCountry(code)!;

describe('parseDefaultCountry', () => {
  it('reads calling codes with or without "+", and regions in any case', () => {
    expect(parseDefaultCountry(undefined)).toEqual({ callingCode: '1' });
    expect(parseDefaultCountry('')).toEqual({ callingCode: '1' });
    expect(parseDefaultCountry('+44')).toEqual({ callingCode: '44' });
    expect(parseDefaultCountry('49')).toEqual({ callingCode: '49' });
    expect(parseDefaultCountry('GB')).toEqual({ country: 'GB' });
    expect(parseDefaultCountry('fr')).toEqual({ country: 'FR' });
  });

  it('refuses what is neither', () => {
    expect(parseDefaultCountry('England')).toBeNull();
    expect(parseDefaultCountry('+12345')).toBeNull();
    expect(parseDefaultCountry('XX')).toBeNull();
  });
});

describe('normalizePhone', () => {
  it.each([
    ['(415) 555-0123', undefined, '+14155550123'],
    ['415.555.0123', undefined, '+14155550123'],
    ['1-415-555-0123', undefined, '+14155550123'],
    ['+1 415 555 0123', undefined, '+14155550123'],
    ['415-555-0123 ext. 12', undefined, '+14155550123'],
    ['07911 123456', '+44', '+447911123456'],
    ['07911 123456', 'GB', '+447911123456'],
    ['+44 (0)7911 123456', undefined, '+447911123456'],
    ['0044 7911 123456', undefined, '+447911123456'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['030 12345678', '+49', '+493012345678'],
    // Digits of other scripts, as typed on Arabic or Japanese keyboards.
    ['٠٧٩١١ ١٢٣٤٥٦', 'GB', '+447911123456'],
    ['０７９１１ １２３４５６', 'GB', '+447911123456'],
  ])('%s (default %s) → %s', (raw, def, expected) => {
    expect(normalizePhone(raw, country(def))).toBe(expected);
  });

  it.each(['not a phone', '12345', '', '   ', 'call me maybe 555'])('refuses %j', (raw) => {
    expect(normalizePhone(raw, country())).toBeNull();
  });
});

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ana.Lopez@Example.COM ')).toBe('ana.lopez@example.com');
  });

  it.each(['ana', 'ana@', '@example.com', 'ana@example', 'a b@example.com'])('refuses %j', (raw) => {
    expect(normalizeEmail(raw)).toBeNull();
  });
});
