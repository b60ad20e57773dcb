/**
 * How the EspoCRM fake reads list parameters and evaluates `where`, kept apart from
 * the client's encoder on purpose: if both sides shared code they would agree on a bug.
 */

export class EspoBadRequest extends Error {}

export interface ParsedListParams {
  where: WhereItem[];
  select?: string[];
  orderBy?: string;
  order: 'asc' | 'desc';
  maxSize?: number;
  offset: number;
}

export interface WhereItem {
  type: string;
  attribute?: string;
  value?: unknown;
}

type Nested = { [k: string]: Nested } | string;

/**
 * PHP's reading of `a[0][b][]=x` style keys (what EspoCRM sees): nested objects,
 * `[]` appends; objects whose keys are all indexes become arrays.
 */
export function parseBracketQuery(query: URLSearchParams): Record<string, unknown> {
  const root: Record<string, Nested> = {};
  for (const [key, value] of query) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) continue;
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node: Record<string, Nested> = root;
    for (let i = 0; i < path.length; i++) {
      let seg = path[i];
      const last = i === path.length - 1;
      if (seg === '') seg = String(Object.keys(node).length);
      if (last) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (typeof next !== 'object') node[seg] = {};
        node = node[seg] as Record<string, Nested>;
      }
    }
  }
  return arraysFromIndexes(root) as Record<string, unknown>;
}

function arraysFromIndexes(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node as Record<string, unknown>).map(
    ([k, v]) => [k, arraysFromIndexes(v)] as const,
  );
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

/** List parameters from the query: the `searchParams` JSON form wins over the bracket form. */
export function parseListParams(query: URLSearchParams): ParsedListParams {
  let raw: Record<string, unknown>;
  const json = query.get('searchParams');
  if (json !== null) {
    try {
      raw = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw new EspoBadRequest('searchParams is not valid JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new EspoBadRequest('searchParams must be a JSON object');
    }
  } else {
    raw = parseBracketQuery(query);
  }

  const where = raw.where === undefined || raw.where === '' ? [] : raw.where;
  if (!Array.isArray(where)) throw new EspoBadRequest('where must be an array');
  return {
    where: where.map((w) => toWhereItem(w)),
    select: parseSelect(raw.select),
    orderBy: typeof raw.orderBy === 'string' && raw.orderBy !== '' ? raw.orderBy : undefined,
    order: parseOrder(raw.order),
    maxSize:
      raw.maxSize === undefined || raw.maxSize === ''
        ? undefined
        : parseIntParam('maxSize', raw.maxSize),
    offset: raw.offset === undefined || raw.offset === '' ? 0 : parseIntParam('offset', raw.offset),
  };
}

const NESTED_TYPES = new Set(['and', 'or', 'not']);
const LEAF_TYPES = new Set([
  'equals',
  'notEquals',
  'in',
  'notIn',
  'isNull',
  'isNotNull',
  'isTrue',
  'isFalse',
  'lessThan',
  'lessThanOrEqual',
  'greaterThan',
  'greaterThanOrEqual',
  'between',
  'contains',
  'notContains',
  'startsWith',
  'endsWith',
  'like',
  'notLike',
  'arrayAnyOf',
  'arrayNoneOf',
  'arrayAllOf',
  'arrayIsEmpty',
  'arrayIsNotEmpty',
  'linkedWith',
  'notLinkedWith',
  'isLinked',
  'isNotLinked',
]);

/** Checks the whole tree up front, so a bad item fails even when no record is there to test. */
function toWhereItem(w: unknown): WhereItem {
  if (typeof w !== 'object' || w === null || typeof (w as WhereItem).type !== 'string') {
    throw new EspoBadRequest('where item without type');
  }
  const item = w as WhereItem;
  if (NESTED_TYPES.has(item.type)) {
    if (!Array.isArray(item.value))
      throw new EspoBadRequest(`where ${item.type} needs an array of items`);
    item.value.forEach((x) => toWhereItem(x));
  } else if (LEAF_TYPES.has(item.type)) {
    if (!item.attribute) throw new EspoBadRequest(`where ${item.type} needs an attribute`);
  } else {
    throw new EspoBadRequest(`Unknown where type: ${item.type}`);
  }
  return item;
}

function parseSelect(select: unknown): string[] | undefined {
  if (select === undefined || select === '') return undefined;
  if (typeof select === 'string')
    return select
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(select) && select.every((s) => typeof s === 'string'))
    return select as string[];
  throw new EspoBadRequest('select must be a comma-separated string or an array');
}

function parseOrder(order: unknown): 'asc' | 'desc' {
  if (order === undefined || order === '') return 'asc';
  if (typeof order === 'string' && ['asc', 'desc'].includes(order.toLowerCase())) {
    return order.toLowerCase() as 'asc' | 'desc';
  }
  throw new EspoBadRequest(`order must be asc or desc`);
}

function parseIntParam(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0)
    throw new EspoBadRequest(`${name} must be a non-negative integer`);
  return n;
}

/** What the evaluator needs to know about links; the fake's store answers it. */
export interface LinkLookup {
  /** Ids linked to `recordId` over `link`, or undefined when the link does not exist. */
  linkedIds(recordId: string, link: string): ReadonlySet<string> | undefined;
}

const isNull = (v: unknown): boolean => v === null || v === undefined;

/** Coerces a query value to the stored value's type, as the bracket form sends only strings. */
function coerce(stored: unknown, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (typeof stored === 'boolean') return v === 'true' || v === '1';
  if (typeof stored === 'number' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

function eq(stored: unknown, v: unknown): boolean {
  if (v === null) return isNull(stored);
  if (isNull(stored)) return false;
  const c = coerce(stored, v);
  if (typeof stored === 'string' && typeof c === 'number') return stored === String(c);
  return stored === c;
}

function compare(stored: unknown, v: unknown): number | undefined {
  if (isNull(stored) || isNull(v)) return undefined;
  const c = coerce(stored, v);
  if (typeof stored === 'number' && typeof c === 'number') return stored - c;
  const a = String(stored);
  const b = String(c);
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIs(stored: unknown, v: unknown, test: (c: number) => boolean): boolean {
  const c = compare(stored, v);
  return c !== undefined && test(c);
}

/** SQL LIKE (`%`, `_`, backslash escapes) with MySQL's default case-insensitive collation. */
function like(stored: unknown, pattern: string): boolean {
  if (isNull(stored)) return false;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]);
    else if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += escapeRegExp(ch);
  }
  return new RegExp(`^${re}$`, 'is').test(String(stored));
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const escapeLike = (s: unknown): string => String(s).replace(/[%_\\]/g, (c) => `\\${c}`);

function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isNull(v) || v === '') return [];
  return [v];
}

function items(v: unknown, type: string): WhereItem[] {
  if (!Array.isArray(v)) throw new EspoBadRequest(`where ${type} needs an array of items`);
  return v as WhereItem[];
}

function needAttribute(item: WhereItem): string {
  if (!item.attribute) throw new EspoBadRequest(`where ${item.type} needs an attribute`);
  return item.attribute;
}

/**
 * Evaluates one where item with SQL's null semantics (a comparison with NULL is not
 * true, so `notEquals` and `notIn` skip records whose field is empty), as EspoCRM does.
 */
export function matchesWhere(
  record: Record<string, unknown>,
  item: WhereItem,
  links: LinkLookup,
): boolean {
  const field = (): unknown => record[needAttribute(item)];
  const linked = (): ReadonlySet<string> => {
    const attr = needAttribute(item);
    const ids = links.linkedIds(String(record.id), attr);
    if (!ids) throw new EspoBadRequest(`where ${item.type}: no link ${attr}`);
    return ids;
  };
  switch (item.type) {
    case 'and':
      return items(item.value, item.type).every((w) => matchesWhere(record, w, links));
    case 'or':
      return items(item.value, item.type).some((w) => matchesWhere(record, w, links));
    case 'not':
      return !items(item.value, item.type).every((w) => matchesWhere(record, w, links));
    case 'equals':
      return eq(field(), item.value);
    case 'notEquals':
      return !isNull(field()) && !eq(field(), item.value);
    case 'in':
      return asArray(item.value).some((v) => eq(field(), v));
    case 'notIn':
      return !isNull(field()) && !asArray(item.value).some((v) => eq(field(), v));
    case 'isNull':
      return isNull(field());
    case 'isNotNull':
      return !isNull(field());
    case 'isTrue':
      return field() === true;
    case 'isFalse':
      return field() === false;
    case 'lessThan':
      return compareIs(field(), item.value, (c) => c < 0);
    case 'lessThanOrEqual':
      return compareIs(field(), item.value, (c) => c <= 0);
    case 'greaterThan':
      return compareIs(field(), item.value, (c) => c > 0);
    case 'greaterThanOrEqual':
      return compareIs(field(), item.value, (c) => c >= 0);
    case 'between': {
      const [from, to] = asArray(item.value);
      const a = compare(field(), from);
      const b = compare(field(), to);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'contains':
      return like(field(), `%${escapeLike(item.value)}%`);
    case 'notContains':
      return !isNull(field()) && !like(field(), `%${escapeLike(item.value)}%`);
    case 'startsWith':
      return like(field(), `${escapeLike(item.value)}%`);
    case 'endsWith':
      return like(field(), `%${escapeLike(item.value)}`);
    case 'like':
      return like(field(), String(item.value));
    case 'notLike':
      return !isNull(field()) && !like(field(), String(item.value));
    case 'arrayAnyOf':
      return asArray(field()).some((x) => asArray(item.value).includes(x));
    case 'arrayNoneOf':
      return !asArray(field()).some((x) => asArray(item.value).includes(x));
    case 'arrayAllOf':
      return asArray(item.value).every((x) => asArray(field()).includes(x));
    case 'arrayIsEmpty':
      return asArray(field()).length === 0;
    case 'arrayIsNotEmpty':
      return asArray(field()).length > 0;
    case 'linkedWith': {
      const ids = linked();
      return asArray(item.value).some((v) => ids.has(String(v)));
    }
    case 'notLinkedWith': {
      const ids = linked();
      return !asArray(item.value).some((v) => ids.has(String(v)));
    }
    case 'isLinked':
      return linked().size > 0;
    case 'isNotLinked':
      return linked().size === 0;
    default:
      throw new EspoBadRequest(`Unknown where type: ${item.type}`);
  }
}
