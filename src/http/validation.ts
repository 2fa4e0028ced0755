import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Bodies are validated strictly: no coercion, no silent removal of unknown fields.
const bodyAjv = addFormats(new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, strict: false }));
// Query strings and params arrive as text, so numbers and booleans there are coerced.
const queryAjv = addFormats(new Ajv({ removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, strict: false }));

/** Picks the strict or coercing validator by request part. */
export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : queryAjv;
  return ajv.compile(schema as object) as any;
};

/** `/leads/0/phone` → `leads[0].phone`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** One sentence that names the field and says what to fix. */
export function describeValidationError(err: ErrorObject, part: string): { message: string; field: string } {
  const where = part === 'querystring' ? 'query parameter' : part === 'params' ? 'path parameter' : 'field';
  switch (err.keyword) {
    case 'additionalProperties': {
      const field = fieldPath(err.instancePath, String(err.params.additionalProperty));
      return { field, message: `Unknown ${where} "${field}": remove it or check its spelling` };
    }
    case 'required': {
      const field = fieldPath(err.instancePath, String(err.params.missingProperty));
      return { field, message: `Missing required ${where} "${field}"` };
    }
    case 'type': {
      const field = fieldPath(err.instancePath) || part;
      return { field, message: `The ${where} "${field}" must be ${String(err.params.type).replace(',', ' or ')}` };
    }
    case 'enum': {
      const field = fieldPath(err.instancePath);
      return { field, message: `The ${where} "${field}" must be one of: ${(err.params.allowedValues as unknown[]).join(', ')}` };
    }
    default: {
      const field = fieldPath(err.instancePath) || part;
      return { field, message: `The ${where} "${field}" ${err.message ?? 'is invalid'}` };
    }
  }
}
