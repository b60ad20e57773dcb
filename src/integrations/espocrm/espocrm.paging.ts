import {
  ESPO_MAX_PAGE_SIZE,
  type EspoListParams,
  type EspoListResult,
  type EspoRecord,
} from './espocrm.types.js';

/**
 * Every record of a list, page by page (at most ESPO_MAX_PAGE_SIZE per request);
 * without an explicit order by `createdAt` ascending, so records created meanwhile
 * land on a later page instead of shifting the ones not yet read.
 */
export async function* espoPages<T extends EspoRecord>(
  fetchPage: (params: EspoListParams) => Promise<EspoListResult<T>>,
  params: EspoListParams = {},
): AsyncGenerator<T> {
  const pageSize = Math.min(params.maxSize ?? ESPO_MAX_PAGE_SIZE, ESPO_MAX_PAGE_SIZE);
  const ordered: EspoListParams = params.orderBy
    ? params
    : { ...params, orderBy: 'createdAt', order: 'asc' };
  let offset = params.offset ?? 0;
  for (;;) {
    const page = await fetchPage({ ...ordered, maxSize: pageSize, offset });
    for (const record of page.list) yield record;
    offset += page.list.length;
    if (page.list.length < pageSize || (page.total >= 0 && offset >= page.total)) return;
  }
}
