import { parsePhoneNumberFromString, type CountryCode, getCountries } from 'libphonenumber-js/max';

/** A phone number in E.164 form, e.g. +16462230920. */
export type E164 = string;

const COUNTRIES = new Set<string>(getCountries());

/** Parses `defaultCountryCode` given as "+1", "1" or a region like "US"/"gb". */
export function parseDefaultCountry(input: string | undefined | null): { callingCode?: string; country?: CountryCode } | null {
  if (input === undefined || input === null || input === '') return { callingCode: '1' };
  const s = input.trim();
  if (/^\+?\d{1,4}$/.test(s)) return { callingCode: s.replace('+', '') };
  if (COUNTRIES.has(s.toUpperCase())) return { country: s.toUpperCase() as CountryCode };
  return null;
}

/** Normalises a phone in any national or international format to E.164, or null when it is not a valid number. */
export function normalizePhone(raw: string, def: { callingCode?: string; country?: CountryCode } = { callingCode: '1' }): E164 | null {
  const trimmed = raw.trim();
  // \p{Nd}: digits of any script (Arabic-Indic, full-width…), which libphonenumber reads too.
  if (!trimmed || !/\p{Nd}/u.test(trimmed) || /[a-z]{3,}/i.test(trimmed.replace(/ext\.?|x/gi, ''))) return null;
  const cleaned = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(cleaned, {
    defaultCountry: def.country,
    defaultCallingCode: def.country ? undefined : def.callingCode,
  });
  // isPossible (length and country code) rather than isValid: numbering-plan metadata lags real
  // allocations, and a wrongly refused lead is worse than a send that fails with a reason.
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cases and trims an email address, or null when it does not look like one. */
export function normalizeEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  return EMAIL_RE.test(s) && s.length <= 320 ? s : null;
}

export function isPhoneLike(address: string): boolean {
  return address.startsWith('+');
}
