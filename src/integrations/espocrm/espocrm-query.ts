import { ValidationError } from '../../core/errors/upstream.errors.js';
import { ESPO_MAX_PAGE_SIZE, type EspoListParams } from './espocrm.types.js';

/**
 * Encodes list parameters as EspoCRM's `searchParams` query parameter: one JSON
 * object. Chosen over the `where[0][type]=…` bracket form because JSON keeps types
 * (booleans, numbers, null, empty arrays) that the bracket form turns into strings
 * or drops.
 */
export function espoSearchParams(params: EspoListParams = {}): Record<string, string> {
  if (params.maxSize !== undefined) {
    if (
      !Number.isInteger(params.maxSize) ||
      params.maxSize < 1 ||
      params.maxSize > ESPO_MAX_PAGE_SIZE
    ) {
      throw new ValidationError(
        `EspoCRM maxSize must be 1..${ESPO_MAX_PAGE_SIZE}, got ${params.maxSize}`,
      );
    }
  }
  if (params.offset !== undefined && (!Number.isInteger(params.offset) || params.offset < 0)) {
    throw new ValidationError(
      `EspoCRM offset must be a non-negative integer, got ${params.offset}`,
    );
  }
  const search: Record<string, unknown> = {};
  if (params.where?.length) search.where = params.where;
  if (params.select?.length) search.select = params.select;
  if (params.orderBy) search.orderBy = params.orderBy;
  if (params.order) search.order = params.order;
  if (params.maxSize !== undefined) search.maxSize = params.maxSize;
  if (params.offset !== undefined) search.offset = params.offset;
  return Object.keys(search).length ? { searchParams: JSON.stringify(search) } : {};
}

/** `encodeURIComponent` for each path segment, so an id can never change the route. */
export function espoPath(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/');
}
