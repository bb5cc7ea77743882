/**
 * The part of zod (the schema library) guild's packages use, exported from @guild/core as `z`:
 * one copy, bundled into core, for all of them. Only what is named here is bundled, so adding
 * a zod function for a plugin means adding it here.
 */
export {
  array,
  boolean,
  enum,
  int,
  literal,
  looseObject,
  number,
  partialRecord,
  record,
  strictObject,
  string,
  tuple,
  union,
  unknown,
} from 'zod';
export type { core, input, output, ZodType } from 'zod';
