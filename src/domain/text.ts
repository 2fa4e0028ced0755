import { badRequest } from './errors.js';

/**
 * The first field (as a path, e.g. `customFields.note`) whose text holds a NUL character, or null.
 * PostgreSQL cannot store NUL in text and no name, note or address needs one, so both stores refuse it
 * alike instead of PostgreSQL failing with a 500.
 */
export function fieldWithNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'value' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = fieldWithNul(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = fieldWithNul(k, path ? `${path}.${k}` : k) ?? fieldWithNul(v, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return null;
}

export const NUL_ERROR = 'contains a NUL character (\\u0000), which cannot be stored; remove it';

/** Throws a 400 naming the first field of a request body that holds a NUL character. */
export function refuseNul(body: unknown): void {
  const field = fieldWithNul(body);
  if (field) throw badRequest(`${field} ${NUL_ERROR}`, 'VALIDATION_ERROR', { field });
}
