import type { Logger } from '@nestjs/common';
import { ADVOWARE_PAGE_SIZE } from './advoware.paths.js';
import { readPage } from './advoware.reader.js';

/** Guards a list walk against a server whose paging never ends. */
const MAX_PAGES = 200;

/**
 * Every item of a list, page by page: `{data, total}` is followed with `limit`/`offset`
 * until `total`; a bare array is one page unless it is exactly `limit` long, and a
 * server that ignores `offset` (the same first item again) ends the walk.
 * `getPage` is one GET of `path` with the query given (AdvowareClient.request).
 */
export async function readAllPages(
  getPage: (query: Record<string, string>) => Promise<{ data: unknown }>,
  path: string,
  query: Record<string, string>,
  logger: Logger,
): Promise<unknown[]> {
  const items: unknown[] = [];
  let offset = 0;
  let previousFirst: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await getPage({
      ...query,
      limit: String(ADVOWARE_PAGE_SIZE),
      offset: String(offset),
    });
    const got = readPage(data);
    if (got.total !== undefined) {
      items.push(...got.items);
      offset += got.items.length;
      if (got.items.length === 0 || offset >= got.total) return items;
      continue;
    }
    const first = JSON.stringify(got.items[0] ?? null);
    if (page > 0 && first === previousFirst) return items;
    items.push(...got.items);
    if (got.items.length !== ADVOWARE_PAGE_SIZE) return items;
    previousFirst = first;
    offset += got.items.length;
  }
  logger.warn(`GET ${path}: stopped after ${MAX_PAGES} pages (${items.length} items)`);
  return items;
}
