/**
 * Which fields an UpdateProduct request changes. With an update mask, exactly
 * the named fields change (a named field that is absent takes its default, as
 * AIP-134 asks, and is then validated); without one, the fields present in the
 * request change. Mask paths may be snake_case or lowerCamelCase.
 */
import { invalidArgument } from "@skyros/kit/errors";
import {
  type ProductFields,
  requireDescription,
  requireName,
  requirePrice,
  requireStock,
} from "./product-input.ts";

/** The new values of the fields that change; absent fields keep their value. */
export type ProductChanges = Partial<ProductFields>;

export interface ProductUpdateRequest {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly price?: bigint | undefined;
  readonly stock?: number | undefined;
  /** The update mask's paths; undefined or empty when the request has none. */
  readonly maskPaths?: readonly string[] | undefined;
}

type Field = keyof ProductFields;
const FIELDS: readonly Field[] = ["name", "description", "price", "stock"];
const MAX_MASK_PATHS = 16;

const snakeCase = (path: string) => path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The fields an update mask names; `*` names them all. */
export function resolveMask(paths: readonly string[]): Set<Field> {
  if (paths.length > MAX_MASK_PATHS) {
    throw invalidArgument("updateMask", `must name at most ${MAX_MASK_PATHS} paths`);
  }
  const fields = new Set<Field>();
  for (const path of paths) {
    if (path === "*") return new Set(FIELDS);
    const field = snakeCase(path.trim()) as Field;
    if (!FIELDS.includes(field)) {
      const shown = JSON.stringify(path.slice(0, 64));
      throw invalidArgument("updateMask", `unknown field ${shown}; updatable: ${FIELDS.join(", ")}`);
    }
    fields.add(field);
  }
  return fields;
}

/** The validated changes a request asks for (possibly none). */
export function resolveProductChanges(request: ProductUpdateRequest): ProductChanges {
  const masked = request.maskPaths !== undefined && request.maskPaths.length > 0;
  const fields = masked
    ? resolveMask(request.maskPaths ?? [])
    : new Set(FIELDS.filter((field) => request[field] !== undefined));
  return {
    ...(fields.has("name") && { name: requireName(request.name ?? "") }),
    ...(fields.has("description") && { description: requireDescription(request.description ?? "") }),
    ...(fields.has("price") && { price: requirePrice(request.price ?? 0n) }),
    ...(fields.has("stock") && { stock: requireStock(request.stock ?? 0) }),
  };
}

/** Whether a set of changes changes nothing. */
export function isEmptyChange(changes: ProductChanges): boolean {
  return FIELDS.every((field) => changes[field] === undefined);
}
