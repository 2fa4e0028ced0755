/**
 * Fills `{{field}}`, `{field}`, `{field|fallback}` and `{custom.key}` from the lead, at send time.
 * A name that is neither a lead field nor a custom field is left as written, so ordinary braces
 * in a message survive.
 */
export function renderTemplate(
  template: string,
  vars: { lead?: Record<string, unknown> | null; custom?: Record<string, unknown> | null; extra?: Record<string, unknown> },
): string {
  const known = (name: string): { found: boolean; value: unknown } => {
    if (name.startsWith('custom.')) return { found: true, value: vars.custom?.[name.slice(7)] };
    for (const src of [vars.extra, vars.lead, vars.custom]) if (src && name in src) return { found: true, value: src[name] };
    return { found: false, value: undefined };
  };
  const fill = (match: string, name: string, fallback?: string) => {
    const { found, value } = known(name.trim());
    if (!found && fallback === undefined) return match;
    const text = value === undefined || value === null ? '' : String(value);
    return text.trim() === '' ? (fallback ?? '') : text;
  };
  return template
    .replace(/\{\{\s*([\w.]+)\s*(?:\|([^}]*))?\}\}/g, fill)
    .replace(/\{\s*([A-Za-z_][\w.]*)\s*(?:\|([^}]*))?\}/g, fill);
}
