import { normalizeEmail, normalizePhone, type parseDefaultCountry } from './addresses.js';

/** A lead as the API accepts it (POST /api/leads, PATCH /api/leads/{id}, implicit creation). */
export interface LeadInput {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  altPhone1?: string | null;
  altPhone2?: string | null;
  altPhone3?: string | null;
  altEmail1?: string | null;
  altEmail2?: string | null;
  altEmail3?: string | null;
  companyName?: string | null;
  jobTitle?: string | null;
  linkedinUrl?: string | null;
  notes?: string | null;
  customFields?: Record<string, unknown> | null;
  tags?: string[] | null;
  source?: string | null;
  ghlContactId?: string | null;
  ghlLocationId?: string | null;
  hsPortalId?: string | null;
  hsContactId?: string | null;
}

/** API field → column, for the plain text fields copied as given. */
export const TEXT_FIELDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  companyName: 'company_name',
  jobTitle: 'job_title',
  linkedinUrl: 'linkedin_url',
  notes: 'notes',
  ghlContactId: 'ghl_contact_id',
  ghlLocationId: 'ghl_location_id',
  hsPortalId: 'hs_portal_id',
  hsContactId: 'hs_contact_id',
} as const;
export const PHONE_FIELDS = { phone: 'phone', altPhone1: 'alt_phone1', altPhone2: 'alt_phone2', altPhone3: 'alt_phone3' } as const;
export const EMAIL_FIELDS = { email: 'email', altEmail1: 'alt_email1', altEmail2: 'alt_email2', altEmail3: 'alt_email3' } as const;

export interface RowProblem {
  field: string;
  error: string;
}

export type NormalizedLead = Record<string, string | null>;

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Normalises the address fields of one lead: phones to E.164, emails lower-cased.
 * Only fields present in the input appear in the result, so it serves updates as well as inserts.
 */
export function normalizeLeadAddresses(
  input: LeadInput,
  country: NonNullable<ReturnType<typeof parseDefaultCountry>>,
): { values: NormalizedLead; problems: RowProblem[] } {
  const values: NormalizedLead = {};
  const problems: RowProblem[] = [];
  for (const [field, col] of Object.entries(PHONE_FIELDS)) {
    const raw = input[field as keyof LeadInput];
    if (raw === undefined) continue;
    if (blank(raw)) {
      values[col] = null;
      continue;
    }
    const e164 = normalizePhone(String(raw), country);
    if (!e164) {
      problems.push({ field, error: `"${raw}" is not a phone number Tuco can read; write it with its country code (e.g. +14155550123) or set defaultCountryCode` });
    } else values[col] = e164;
  }
  for (const [field, col] of Object.entries(EMAIL_FIELDS)) {
    const raw = input[field as keyof LeadInput];
    if (raw === undefined) continue;
    if (blank(raw)) {
      values[col] = null;
      continue;
    }
    const email = normalizeEmail(String(raw));
    if (!email) problems.push({ field, error: `"${raw}" is not a valid email address` });
    else values[col] = email;
  }
  return { values, problems };
}

/** Every address of a lead row in the order a channel tries them. */
export function leadAddresses(
  lead: { phone: string | null; alt_phone1: string | null; alt_phone2: string | null; alt_phone3: string | null; email: string | null; alt_email1: string | null; alt_email2: string | null; alt_email3: string | null },
  channel: 'imessage' | 'sms' | 'email',
): string[] {
  const phones = [lead.phone, lead.alt_phone1, lead.alt_phone2, lead.alt_phone3];
  const emails = [lead.email, lead.alt_email1, lead.alt_email2, lead.alt_email3];
  const list = channel === 'sms' ? phones : channel === 'email' ? emails : [...phones, ...emails];
  return [...new Set(list.filter((a): a is string => !!a))];
}
