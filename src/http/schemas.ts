import { Type, type TSchema, type TProperties } from 'typebox';

/** An object schema that rejects unknown fields. */
export const Obj = <P extends TProperties>(props: P, opts: Record<string, unknown> = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Id = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24-character hex id' });
export const IdParams = Obj({ id: Id });
export const Iso = Type.String({ description: 'ISO-8601 date-time' });
