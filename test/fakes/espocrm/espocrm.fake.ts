import { createHash, randomBytes } from 'node:crypto';
import type { EspoRecord } from '../../../src/integrations/espocrm/espocrm.types.js';
import { FakeServer, type FakeRequest, type FakeResponse } from '../common/fake-server.js';
import { TEST_SECRETS } from '../../support/test-env.js';
import {
  DEFAULT_DOCUMENT_PARENTS,
  buildEntityDefs,
  lowerFirst,
  buildMetadata,
  setDocumentLinkFields,
  type EntityDefs,
} from './espocrm-metadata.fake.js';
import {
  EspoBadRequest,
  matchesWhere,
  parseListParams,
  type LinkLookup,
} from './espocrm-query.fake.js';

/**
 * In-memory EspoCRM (REST API v1) for tests, the sandbox and the benchmark: a generic
 * record store for any entity type, list queries with `where` (bracket form and
 * `searchParams` JSON), many-to-many links in both directions, attachment files and a
 * slice of metadata. Enforces what the real API enforces and the hub could get wrong:
 * the API key (401), `maxSize` ≤ 200 (403), unknown ids (404), unknown links and where
 * types, enum options and required fields (400), duplicates where configured (409).
 * A link-multiple field (by default CDokumente's reverse links) comes with the record
 * read as `{field}Ids` and `{field}Names`, with a list only when `select` names them,
 * and a write of `{field}Ids` sets the link, as EspoCRM does. An entity type its
 * metadata does not know answers 404 on every record route, as EspoCRM does for a
 * scope that does not exist (today's hub bug it catches: a typo in an entity name
 * creating records nobody ever reads).
 */

export interface EspoSeedLink {
  entity: string;
  id: string;
  link: string;
  foreignIds: string | string[];
}

export interface EspoSeedAttachment {
  id?: string;
  name: string;
  type: string;
  /** In-process seeds pass bytes; seeds over HTTP pass `base64` or `text`. */
  bytes?: Buffer | Uint8Array;
  base64?: string;
  text?: string;
  relatedType?: string;
  relatedId?: string;
  field?: string;
}

export interface EspoSeed {
  /** Switches, so a seed over HTTP (`/__fake/seed`) can set them too. */
  options?: { linkMultipleFields?: boolean };
  records?: Record<string, EspoRecord[]>;
  links?: EspoSeedLink[];
  attachments?: EspoSeedAttachment[];
}

export interface EspoLinkState {
  entity: string;
  id: string;
  link: string;
  foreignEntity: string;
  foreignId: string;
}

export interface EspoAttachmentState {
  id: string;
  name: string;
  type: string;
  size: number;
  md5: string;
}

export interface EspoFakeState {
  records: Record<string, EspoRecord[]>;
  links: EspoLinkState[];
  attachments: EspoAttachmentState[];
}

export interface EspoCrmFakeOptions {
  apiKey?: string;
  latencyMs?: number;
  logBodies?: boolean;
  /** Entity types with a many-to-many `dokumente` link to CDokumente. */
  documentParents?: string[];
  /** Fields whose equal value makes a create answer 409 (EspoCRM's duplicate check), per entity. */
  duplicateCheck?: Record<string, string[]>;
  /**
   * CDokumente's reverse links have link-multiple fields, so `GET CDokumente/{id}`
   * carries e.g. `cBeteiligteIds`/`cBeteiligteNames` (default true; false models an
   * install whose relationships were made without them: EspoCRM gives `{link}Ids`
   * only for link-multiple fields, which a relationship made in the Entity Manager
   * has only when its "Link Multiple Field" box was ticked — *observed* in EspoCRM's
   * Entity Manager; DOMAIN.md promises none).
   */
  linkMultipleFields?: boolean;
  /** The old name of `linkMultipleFields`. */
  documentLinkFields?: boolean;
}

type ResolvedLink =
  | {
      kind: 'manyMany';
      foreignEntity: string;
      foreignLink: string;
      relation: string;
      side: 'left' | 'right';
    }
  | { kind: 'hasMany'; foreignEntity: string; foreignKey: string }
  | { kind: 'belongsTo'; foreignEntity: string; key: string };

interface StoredRecord {
  data: EspoRecord;
  createdSeq: number;
  modifiedSeq: number;
}

interface StoredFile {
  bytes: Buffer;
}

interface Relation {
  left: Map<string, Set<string>>;
  right: Map<string, Set<string>>;
}

class EspoHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly body?: unknown,
  ) {
    super(reason);
  }
}

const API = '/api/v1';
const DEFAULT_MAX_SIZE = 20;
const MAX_SIZE_LIMIT = 200;
const READ_ONLY_FIELDS = new Set([
  'id',
  'createdAt',
  'modifiedAt',
  'createdById',
  'modifiedById',
  'deleted',
]);

/** UTC `YYYY-MM-DD HH:mm:ss`, as EspoCRM stores datetimes. */
function espoNow(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Header values must be Latin-1; EspoCRM's reasons are ASCII anyway. */
function headerSafe(s: string): string {
  return s.replace(/[^\t\x20-\x7e\xa0-\xff]/g, '?').slice(0, 500);
}

export class EspoCrmFake extends FakeServer {
  private readonly defaultApiKey: string;
  apiKey: string;
  private readonly documentParents: string[];
  private readonly duplicateCheck: Record<string, string[]>;
  private readonly defaultDocumentLinkFields: boolean;
  private entityDefs: Record<string, EntityDefs>;
  private readonly store = new Map<string, Map<string, StoredRecord>>();
  private readonly files = new Map<string, StoredFile>();
  private readonly relations = new Map<string, Relation>();
  private seq = 0;
  private idCounter = randomBytes(2).readUInt16BE(0);
  private clock: () => Date = () => new Date();

  constructor(options: EspoCrmFakeOptions = {}) {
    super({ name: 'espocrm', latencyMs: options.latencyMs, logBodies: options.logBodies });
    this.defaultApiKey = options.apiKey ?? TEST_SECRETS.ESPOCRM_API_KEY;
    this.apiKey = this.defaultApiKey;
    this.documentParents = options.documentParents ?? DEFAULT_DOCUMENT_PARENTS;
    this.duplicateCheck = options.duplicateCheck ?? {};
    // ESPOCRM_FAKE_LINK_MULTIPLE_FIELDS=false runs a whole suite against an install without them.
    this.defaultDocumentLinkFields =
      options.linkMultipleFields ??
      options.documentLinkFields ??
      process.env.ESPOCRM_FAKE_LINK_MULTIPLE_FIELDS !== 'false';
    this.entityDefs = buildEntityDefs(this.documentParents, {
      documentLinkFields: this.defaultDocumentLinkFields,
    });
    this.registerRoutes();
  }

  /** The client's base URL (`ESPOCRM_API_BASE_URL`). */
  get apiUrl(): string {
    return `${this.url}${API}`;
  }

  // --- in-process API for tests ---------------------------------------------------

  /** Makes `createdAt`/`modifiedAt` deterministic (pass undefined for the real clock). */
  setClock(clock: (() => Date) | undefined): void {
    this.clock = clock ?? (() => new Date());
  }

  /** All records of an entity type, in creation order (copies). */
  records<T extends EspoRecord = EspoRecord>(entity: string): T[] {
    return [...(this.store.get(entity)?.values() ?? [])]
      .sort((a, b) => a.createdSeq - b.createdSeq)
      .map((r) => structuredClone(r.data) as T);
  }

  get<T extends EspoRecord = EspoRecord>(entity: string, id: string): T | undefined {
    const r = this.store.get(entity)?.get(id);
    return r ? (structuredClone(r.data) as T) : undefined;
  }

  /**
   * Inserts or replaces a record as is (no validation, no webhook-visible update):
   * missing `id`/`createdAt`/`modifiedAt` are filled in. Returns the stored copy.
   */
  put<T extends EspoRecord = EspoRecord>(entity: string, record: Partial<EspoRecord>): T {
    // Seeding records of a type implies the firm has it: declare it, as a test would.
    this.defineEntityType(entity);
    const now = espoNow(this.clock());
    const id = record.id ?? this.newId(entity);
    const existing = this.store.get(entity)?.get(id);
    const seq = ++this.seq;
    const data: EspoRecord = {
      ...record,
      id,
      createdAt: record.createdAt ?? existing?.data.createdAt ?? now,
    };
    data.modifiedAt = record.modifiedAt ?? now;
    this.table(entity).set(id, { data, createdSeq: existing?.createdSeq ?? seq, modifiedSeq: seq });
    return structuredClone(data) as T;
  }

  /** Changes fields like an API PUT would (bumps `modifiedAt`), without HTTP. */
  patch<T extends EspoRecord = EspoRecord>(
    entity: string,
    id: string,
    fields: Record<string, unknown>,
  ): T {
    const r = this.store.get(entity)?.get(id);
    if (!r) throw new Error(`EspoCrmFake.patch: no ${entity} ${id}`);
    this.applyUpdate(r, fields);
    return structuredClone(r.data) as T;
  }

  remove(entity: string, id: string): boolean {
    const existed = this.store.get(entity)?.delete(id) ?? false;
    if (existed) this.dropEdgesOf(entity, id);
    if (existed && entity === 'Attachment') this.files.delete(id);
    return existed;
  }

  /** Adds a file; returns the attachment id (for a `dokumentId`). */
  addAttachment(a: EspoSeedAttachment): string {
    const bytes = a.bytes
      ? Buffer.from(a.bytes)
      : a.base64 !== undefined
        ? Buffer.from(a.base64, 'base64')
        : Buffer.from(a.text ?? '', 'utf8');
    const record = this.put('Attachment', {
      id: a.id,
      name: a.name,
      type: a.type,
      size: bytes.length,
      role: 'Attachment',
      relatedType: a.relatedType ?? null,
      relatedId: a.relatedId ?? null,
      field: a.field ?? null,
    });
    this.files.set(record.id, { bytes });
    return record.id;
  }

  attachmentBytes(id: string): Buffer | undefined {
    return this.files.get(id)?.bytes;
  }

  /** Links records over `link` of `entity` (both directions become visible). */
  linkRecords(entity: string, id: string, link: string, foreignIds: string | string[]): void {
    const def = this.resolveLink(entity, link);
    if (!def) throw new Error(`EspoCrmFake.linkRecords: no link ${entity}.${link}`);
    for (const fid of typeof foreignIds === 'string' ? [foreignIds] : foreignIds)
      this.addEdge(entity, id, def, fid);
  }

  unlinkRecords(entity: string, id: string, link: string, foreignIds: string | string[]): void {
    const def = this.resolveLink(entity, link);
    if (!def) throw new Error(`EspoCrmFake.unlinkRecords: no link ${entity}.${link}`);
    for (const fid of typeof foreignIds === 'string' ? [foreignIds] : foreignIds)
      this.removeEdge(entity, id, def, fid);
  }

  /** Ids linked to a record over one link, or undefined when there is no such link. */
  linkedIds(entity: string, id: string, link: string): string[] | undefined {
    const ids = this.linkedIdSet(entity, id, link);
    return ids ? [...ids] : undefined;
  }

  /** Declares another many-to-many link pair (EspoCRM: a relationship made in the Entity Manager). */
  defineManyToMany(entity: string, link: string, foreignEntity: string, foreignLink: string): void {
    this.entityDefs[entity] ??= { fields: {}, links: {} };
    this.entityDefs[foreignEntity] ??= { fields: {}, links: {} };
    this.entityDefs[entity].links[link] = {
      type: 'manyMany',
      entity: foreignEntity,
      foreign: foreignLink,
      relationName: `${lowerFirst(entity)}${foreignEntity}`,
    };
    this.entityDefs[foreignEntity].links[foreignLink] = { type: 'manyMany', entity, foreign: link };
  }

  /** Adds or removes the link-multiple fields of CDokumente's reverse links (until `reset`). */
  setDocumentLinkFields(enabled: boolean): void {
    setDocumentLinkFields(this.entityDefs, this.documentParents, enabled);
  }

  /** Same switch under the option's name. */
  setLinkMultipleFields(enabled: boolean): void {
    this.setDocumentLinkFields(enabled);
  }

  /** Whether EspoCRM's metadata has this entity type (records of others answer 404). */
  hasEntityType(entity: string): boolean {
    return Object.hasOwn(this.entityDefs, entity);
  }

  /** Declares an entity type with the given fields (EspoCRM: made in the Entity Manager). */
  defineEntityType(entity: string, fields: Record<string, { type: string }> = {}): void {
    this.entityDefs[entity] ??= {
      fields: {},
      links: {},
      collection: { orderBy: 'createdAt', order: 'desc' },
    };
    Object.assign(this.entityDefs[entity].fields, fields);
  }

  // --- FakeServer contract --------------------------------------------------------

  state(): EspoFakeState {
    const records: Record<string, EspoRecord[]> = {};
    for (const entity of [...this.store.keys()].sort()) records[entity] = this.records(entity);
    const links: EspoLinkState[] = [];
    for (const [relation, rel] of this.relations) {
      const [leftEntity, leftLink] = relation.split('|')[0].split('.');
      const def = this.resolveLink(leftEntity, leftLink);
      if (!def) continue;
      for (const [id, foreign] of rel.left) {
        for (const foreignId of foreign) {
          links.push({
            entity: leftEntity,
            id,
            link: leftLink,
            foreignEntity: def.foreignEntity,
            foreignId,
          });
        }
      }
    }
    const attachments: EspoAttachmentState[] = [...this.files].map(([id, f]) => {
      const rec = this.store.get('Attachment')?.get(id)?.data;
      return {
        id,
        name: String(rec?.name ?? ''),
        type: String(rec?.type ?? ''),
        size: f.bytes.length,
        md5: createHash('md5').update(f.bytes).digest('hex'),
      };
    });
    return { records, links, attachments };
  }

  reset(): void {
    this.store.clear();
    this.files.clear();
    this.relations.clear();
    this.apiKey = this.defaultApiKey;
    this.entityDefs = buildEntityDefs(this.documentParents, {
      documentLinkFields: this.defaultDocumentLinkFields,
    });
    this.clock = () => new Date();
  }

  seed(data: unknown): void {
    const seed = (data ?? {}) as EspoSeed;
    if (typeof seed.options?.linkMultipleFields === 'boolean')
      this.setLinkMultipleFields(seed.options.linkMultipleFields);
    for (const a of seed.attachments ?? []) this.addAttachment(a);
    for (const [entity, list] of Object.entries(seed.records ?? {})) {
      if (!Array.isArray(list)) throw new Error(`seed.records.${entity} must be an array`);
      for (const r of list) this.put(entity, r);
    }
    for (const l of seed.links ?? []) {
      for (const fid of typeof l.foreignIds === 'string' ? [l.foreignIds] : l.foreignIds) {
        if (!this.store.get(l.entity)?.has(l.id))
          throw new Error(`seed link: no ${l.entity} ${l.id}`);
        const def = this.resolveLink(l.entity, l.link);
        if (!def) throw new Error(`seed link: no link ${l.entity}.${l.link}`);
        if (!this.store.get(def.foreignEntity)?.has(fid))
          throw new Error(`seed link: no ${def.foreignEntity} ${fid}`);
        this.addEdge(l.entity, l.id, def, fid);
      }
    }
  }

  /** EspoCRM's injected errors carry no JSON body; the reason would be in a header. */
  protected override faultBody(): unknown {
    return undefined;
  }

  // --- routes ---------------------------------------------------------------------

  private registerRoutes(): void {
    this.api('GET', '/Metadata', (req) => this.getMetadata(req));
    this.api('GET', '/App/user', () => ({
      status: 200,
      body: { user: { id: 'hub-api-user', userName: 'hub', type: 'api' } },
    }));
    this.api('GET', '/Attachment/file/:id', (req) => this.download(req.params.id));
    this.api('GET', '/:entity', (req) => this.list(req.params.entity, req));
    this.api('POST', '/:entity', (req) => this.create(req.params.entity, req));
    this.api('GET', '/:entity/:id', (req) => ({
      status: 200,
      body: this.view(req.params.entity, this.mustGet(req.params.entity, req.params.id), {
        read: true,
      }),
    }));
    this.api('PUT', '/:entity/:id', (req) => this.update(req.params.entity, req.params.id, req));
    this.api('PATCH', '/:entity/:id', (req) => this.update(req.params.entity, req.params.id, req));
    this.api('DELETE', '/:entity/:id', (req) =>
      this.deleteRecord(req.params.entity, req.params.id),
    );
    this.api('GET', '/:entity/:id/:link', (req) => this.listRelated(req));
    this.api('POST', '/:entity/:id/:link', (req) => this.relate(req, 'link'));
    this.api('DELETE', '/:entity/:id/:link', (req) => this.relate(req, 'unlink'));
  }

  /** Every API route checks the key first and turns thrown errors into EspoCRM answers. */
  private api(method: string, template: string, handler: (req: FakeRequest) => FakeResponse): void {
    this.route(method, `${API}${template}`, (req) => {
      if (req.headers['x-api-key'] !== this.apiKey) return { status: 401 };
      try {
        const entity = req.params.entity;
        if (entity !== undefined && !this.hasEntityType(entity)) {
          // *Assumed* wording; the status (404 for a scope that does not exist) is EspoCRM's.
          throw new EspoHttpError(404, `Entity type ${entity} does not exist`);
        }
        return handler(req);
      } catch (err) {
        if (err instanceof EspoHttpError) return this.error(err.status, err.reason, err.body);
        if (err instanceof EspoBadRequest) return this.error(400, err.message);
        throw err;
      }
    });
  }

  private error(status: number, reason: string, body?: unknown): FakeResponse {
    return { status, headers: { 'X-Status-Reason': headerSafe(reason) }, body };
  }

  private getMetadata(req: FakeRequest): FakeResponse {
    const metadata: unknown = buildMetadata(this.documentParents);
    (metadata as { entityDefs: unknown }).entityDefs = this.entityDefs;
    const key = req.query.get('key');
    if (!key) return { status: 200, body: metadata };
    let node: unknown = metadata;
    for (const part of key.split('.')) {
      node =
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[part]
          : undefined;
    }
    return { status: 200, body: node ?? null };
  }

  private download(id: string): FakeResponse {
    const file = this.files.get(id);
    const rec = this.store.get('Attachment')?.get(id)?.data;
    if (!file || !rec) throw new EspoHttpError(404, `Attachment ${id} not found`);
    return {
      status: 200,
      raw: file.bytes,
      headers: {
        'Content-Type': String(rec.type || 'application/octet-stream'),
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(String(rec.name ?? id))}`,
        'Content-Length': String(file.bytes.length),
      },
    };
  }

  private list(entity: string, req: FakeRequest): FakeResponse {
    return {
      status: 200,
      body: this.query(entity, [...(this.store.get(entity)?.values() ?? [])], req),
    };
  }

  private listRelated(req: FakeRequest): FakeResponse {
    const { entity, id, link } = req.params;
    this.mustGet(entity, id);
    const def = this.mustResolveLink(entity, link);
    if (def.kind === 'belongsTo') {
      throw new EspoHttpError(
        400,
        `Link ${link} of ${entity} is belongsTo; read ${def.key} instead`,
      );
    }
    const ids = this.linkedIdSet(entity, id, link) ?? new Set<string>();
    const table = this.store.get(def.foreignEntity);
    const candidates = [...ids]
      .map((fid) => table?.get(fid))
      .filter((r): r is StoredRecord => r !== undefined);
    return { status: 200, body: this.query(def.foreignEntity, candidates, req) };
  }

  private query(
    entity: string,
    candidates: StoredRecord[],
    req: FakeRequest,
  ): { total: number; list: EspoRecord[] } {
    const params = parseListParams(req.query);
    const maxSize = params.maxSize ?? DEFAULT_MAX_SIZE;
    if (maxSize > MAX_SIZE_LIMIT) {
      throw new EspoHttpError(
        403,
        `Max size should not exceed ${MAX_SIZE_LIMIT}. Use offset and limit.`,
      );
    }
    const lookup: LinkLookup = { linkedIds: (rid, link) => this.linkedIdSet(entity, rid, link) };
    const matched = candidates.filter((r) =>
      params.where.every((w) => matchesWhere(r.data, w, lookup)),
    );
    const orderBy = params.orderBy;
    const dir = params.order === 'desc' ? -1 : 1;
    matched.sort((a, b) => {
      if (orderBy) {
        const c = compareValues(a.data[orderBy], b.data[orderBy]);
        if (c !== 0) return c * dir;
        // Two writes in one second still order as they happened.
        if (orderBy === 'modifiedAt') return (a.modifiedSeq - b.modifiedSeq) * dir;
        if (orderBy === 'createdAt') return (a.createdSeq - b.createdSeq) * dir;
      }
      // EspoCRM's default order for entities made in the Entity Manager: newest first.
      return orderBy ? a.createdSeq - b.createdSeq : b.createdSeq - a.createdSeq;
    });
    const page = matched.slice(params.offset, params.offset + maxSize);
    return {
      total: matched.length,
      list: page.map((r) => this.view(entity, r, { select: params.select })),
    };
  }

  private create(entity: string, req: FakeRequest): FakeResponse {
    const body = this.bodyObject(req);
    if (entity === 'Attachment' && typeof body.file === 'string')
      return this.createAttachment(body);
    const fields = this.writable(body);
    const linkWrites = this.takeLinkMultipleWrites(entity, fields);
    this.validate(entity, fields, true);
    if (req.headers['x-skip-duplicate-check'] !== 'true') {
      const duplicates = this.findDuplicates(entity, fields);
      if (duplicates.length) {
        throw new EspoHttpError(
          409,
          'Duplicate',
          duplicates.map((d) => ({ id: d.id, name: d.name })),
        );
      }
    }
    const now = espoNow(this.clock());
    const seq = ++this.seq;
    const data: EspoRecord = { ...fields, id: this.newId(entity), createdAt: now, modifiedAt: now };
    syncContactFields(data, fields);
    this.table(entity).set(data.id, { data, createdSeq: seq, modifiedSeq: seq });
    this.applyLinkMultipleWrites(entity, data.id, linkWrites);
    return { status: 200, body: this.view(entity, this.table(entity).get(data.id)!) };
  }

  private createAttachment(body: Record<string, unknown>): FakeResponse {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(String(body.file));
    if (!m) throw new EspoHttpError(400, 'file must be a data URL');
    const bytes = m[2]
      ? Buffer.from(m[3], 'base64')
      : Buffer.from(decodeURIComponent(m[3]), 'utf8');
    const id = this.addAttachment({
      name: String(body.name ?? 'file'),
      type: String(body.type ?? m[1] ?? 'application/octet-stream'),
      bytes,
      relatedType: typeof body.relatedType === 'string' ? body.relatedType : undefined,
      relatedId: typeof body.relatedId === 'string' ? body.relatedId : undefined,
      field: typeof body.field === 'string' ? body.field : undefined,
    });
    return { status: 200, body: this.view('Attachment', this.store.get('Attachment')!.get(id)!) };
  }

  private update(entity: string, id: string, req: FakeRequest): FakeResponse {
    const stored = this.mustGet(entity, id);
    const fields = this.writable(this.bodyObject(req));
    const linkWrites = this.takeLinkMultipleWrites(entity, fields);
    this.validate(entity, fields, false);
    this.applyUpdate(stored, fields);
    this.applyLinkMultipleWrites(entity, id, linkWrites);
    return { status: 200, body: this.view(entity, stored) };
  }

  private applyUpdate(stored: StoredRecord, fields: Record<string, unknown>): void {
    Object.assign(stored.data, fields);
    syncContactFields(stored.data, fields);
    stored.data.modifiedAt = espoNow(this.clock());
    stored.modifiedSeq = ++this.seq;
  }

  private deleteRecord(entity: string, id: string): FakeResponse {
    this.mustGet(entity, id);
    this.remove(entity, id);
    return { status: 200, body: true };
  }

  private relate(req: FakeRequest, op: 'link' | 'unlink'): FakeResponse {
    const { entity, id, link } = req.params;
    this.mustGet(entity, id);
    const def = this.mustResolveLink(entity, link);
    const body = (req.body ?? {}) as { id?: unknown; ids?: unknown };
    let ids: string[];
    if (Array.isArray(body.ids)) ids = body.ids.map(String);
    else if (typeof body.id === 'string') ids = [body.id];
    else if (op === 'unlink' && req.query.get('id')) ids = [req.query.get('id')!];
    else throw new EspoHttpError(400, 'Body needs id or ids');
    for (const fid of ids) {
      if (op === 'link') this.mustGet(def.foreignEntity, fid);
    }
    for (const fid of ids) {
      if (op === 'link') this.addEdge(entity, id, def, fid);
      else this.removeEdge(entity, id, def, fid);
    }
    return { status: 200, body: true };
  }

  // --- store internals ------------------------------------------------------------

  private table(entity: string): Map<string, StoredRecord> {
    let t = this.store.get(entity);
    if (!t) this.store.set(entity, (t = new Map()));
    return t;
  }

  private mustGet(entity: string, id: string): StoredRecord {
    const r = this.store.get(entity)?.get(id);
    if (!r) throw new EspoHttpError(404, `${entity} ${id} not found`);
    return r;
  }

  /** 17 hex characters like EspoCRM's ids (uniqid: seconds, microseconds, then random). */
  private newId(entity: string): string {
    for (;;) {
      const ms = Date.now();
      this.idCounter = (this.idCounter + 1) % 0x100000;
      const id =
        Math.floor(ms / 1000)
          .toString(16)
          .padStart(8, '0') +
        (((ms % 1000) * 1000 + (this.idCounter % 1000)) % 0x100000).toString(16).padStart(5, '0') +
        randomBytes(2).toString('hex');
      if (!this.store.get(entity)?.has(id)) return id;
    }
  }

  private bodyObject(req: FakeRequest): Record<string, unknown> {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      throw new EspoHttpError(400, 'Body must be a JSON object');
    }
    return req.body as Record<string, unknown>;
  }

  private writable(body: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(body).filter(([k]) => !READ_ONLY_FIELDS.has(k)));
  }

  /** EspoCRM 7+ field validation: required fields and enum options, answered with 400. */
  private validate(entity: string, fields: Record<string, unknown>, isCreate: boolean): void {
    const defs = this.entityDefs[entity]?.fields ?? {};
    for (const [name, def] of Object.entries(defs)) {
      const attr = def.type === 'link' ? `${name}Id` : name;
      const value = fields[attr];
      const present = attr in fields;
      if (
        def.required &&
        (isCreate || present) &&
        (value === undefined || value === null || value === '')
      ) {
        throw validationFailure(name, 'required');
      }
      if (
        def.type === 'enum' &&
        present &&
        value !== null &&
        def.options &&
        !def.options.includes(String(value))
      ) {
        throw validationFailure(name, 'valid');
      }
    }
  }

  private findDuplicates(entity: string, fields: Record<string, unknown>): EspoRecord[] {
    const keys = this.duplicateCheck[entity];
    if (!keys?.length || keys.some((k) => fields[k] === undefined || fields[k] === null)) return [];
    return [...(this.store.get(entity)?.values() ?? [])]
      .map((r) => r.data)
      .filter((d) => keys.every((k) => d[k] === fields[k]));
  }

  /**
   * A record as the API shows it: selected fields (plus id), names of belongs-to
   * links, and the link-multiple fields: always on a record read, in a list only
   * when `select` names `{field}Ids` or `{field}Names` (EspoCRM's Loader/ListLoader).
   */
  private view(
    entity: string,
    r: StoredRecord,
    opts: { select?: string[]; read?: boolean } = {},
  ): EspoRecord {
    const { select, read = false } = opts;
    const data: EspoRecord = structuredClone(r.data);
    for (const [link, def] of Object.entries(this.entityDefs[entity]?.links ?? {})) {
      if (def.type !== 'belongsTo' || !def.entity) continue;
      const fid = data[`${link}Id`];
      if (typeof fid === 'string')
        data[`${link}Name`] = this.store.get(def.entity)?.get(fid)?.data.name ?? null;
    }
    for (const field of this.linkMultipleFields(entity)) {
      if (read || select?.includes(`${field}Ids`) || select?.includes(`${field}Names`))
        Object.assign(data, this.linkMultipleValues(entity, r.data.id, field));
    }
    if (!select) return data;
    const out: EspoRecord = { id: data.id };
    for (const f of select) if (f in data) out[f] = data[f];
    return out;
  }

  /** Link-multiple fields EspoCRM loads: not `noLoad`, and backed by a link of the same name. */
  private linkMultipleFields(entity: string): string[] {
    const defs = this.entityDefs[entity];
    return Object.entries(defs?.fields ?? {})
      .filter(([name, f]) => f.type === 'linkMultiple' && !f.noLoad && defs?.links[name])
      .map(([name]) => name);
  }

  private linkMultipleValues(entity: string, id: string, field: string): Record<string, unknown> {
    const def = this.resolveLink(entity, field);
    const ids = [...(this.linkedIdSet(entity, id, field) ?? [])];
    const table = def ? this.store.get(def.foreignEntity) : undefined;
    const names = Object.fromEntries(
      ids.map((fid) => [fid, (table?.get(fid)?.data.name as string | undefined) ?? null]),
    );
    return { [`${field}Ids`]: ids, [`${field}Names`]: names };
  }

  /**
   * Takes `{field}Ids` of link-multiple fields out of a write (and the derived
   * `{field}Names`/`{field}Columns`), to be applied as the new set of links.
   */
  private takeLinkMultipleWrites(
    entity: string,
    fields: Record<string, unknown>,
  ): Map<string, string[]> {
    const writes = new Map<string, string[]>();
    for (const field of this.linkMultipleFields(entity)) {
      const ids = fields[`${field}Ids`];
      if (Array.isArray(ids)) writes.set(field, ids.map(String));
      else if (ids !== undefined && ids !== null)
        throw new EspoHttpError(400, `${field}Ids must be an array`);
      delete fields[`${field}Ids`];
      delete fields[`${field}Names`];
      delete fields[`${field}Columns`];
    }
    return writes;
  }

  private applyLinkMultipleWrites(entity: string, id: string, writes: Map<string, string[]>): void {
    for (const [field, ids] of writes) {
      const def = this.mustResolveLink(entity, field);
      const wanted = new Set(ids.filter((fid) => this.store.get(def.foreignEntity)?.has(fid)));
      for (const fid of [...(this.linkedIdSet(entity, id, field) ?? [])])
        if (!wanted.has(fid)) this.removeEdge(entity, id, def, fid);
      for (const fid of wanted) this.addEdge(entity, id, def, fid);
    }
  }

  private resolveLink(entity: string, link: string): ResolvedLink | undefined {
    const def = this.entityDefs[entity]?.links[link];
    if (!def?.entity) return undefined;
    switch (def.type) {
      case 'belongsTo':
        return { kind: 'belongsTo', foreignEntity: def.entity, key: `${link}Id` };
      case 'hasMany':
        return { kind: 'hasMany', foreignEntity: def.entity, foreignKey: `${def.foreign}Id` };
      case 'manyMany': {
        const mine = `${entity}.${link}`;
        const theirs = `${def.entity}.${def.foreign}`;
        // The side holding the relation name owns it (and is what state() reports).
        const theirsOwns = Boolean(
          this.entityDefs[def.entity]?.links[def.foreign ?? '']?.relationName,
        );
        const side = def.relationName
          ? 'left'
          : theirsOwns
            ? 'right'
            : mine < theirs
              ? 'left'
              : 'right';
        const relation = side === 'left' ? `${mine}|${theirs}` : `${theirs}|${mine}`;
        return {
          kind: 'manyMany',
          foreignEntity: def.entity,
          foreignLink: def.foreign ?? '',
          relation,
          side,
        };
      }
      default:
        return undefined;
    }
  }

  private mustResolveLink(entity: string, link: string): ResolvedLink {
    const def = this.resolveLink(entity, link);
    if (!def) throw new EspoHttpError(404, `Link ${link} does not exist on ${entity}`);
    return def;
  }

  private linkedIdSet(entity: string, id: string, link: string): ReadonlySet<string> | undefined {
    const def = this.resolveLink(entity, link);
    if (!def) return undefined;
    switch (def.kind) {
      case 'manyMany': {
        const rel = this.relations.get(def.relation);
        return (def.side === 'left' ? rel?.left : rel?.right)?.get(id) ?? new Set();
      }
      case 'hasMany': {
        const out = new Set<string>();
        for (const r of this.store.get(def.foreignEntity)?.values() ?? []) {
          if (r.data[def.foreignKey] === id) out.add(r.data.id);
        }
        return out;
      }
      case 'belongsTo': {
        const fid = this.store.get(entity)?.get(id)?.data[def.key];
        return new Set(typeof fid === 'string' ? [fid] : []);
      }
    }
  }

  private addEdge(entity: string, id: string, def: ResolvedLink, foreignId: string): void {
    switch (def.kind) {
      case 'manyMany': {
        let rel = this.relations.get(def.relation);
        if (!rel) this.relations.set(def.relation, (rel = { left: new Map(), right: new Map() }));
        const [l, r] = def.side === 'left' ? [id, foreignId] : [foreignId, id];
        addTo(rel.left, l, r);
        addTo(rel.right, r, l);
        return;
      }
      case 'hasMany':
        this.setKey(def.foreignEntity, foreignId, def.foreignKey, id);
        return;
      case 'belongsTo':
        this.setKey(entity, id, def.key, foreignId);
        return;
    }
  }

  private removeEdge(entity: string, id: string, def: ResolvedLink, foreignId: string): void {
    switch (def.kind) {
      case 'manyMany': {
        const rel = this.relations.get(def.relation);
        if (!rel) return;
        const [l, r] = def.side === 'left' ? [id, foreignId] : [foreignId, id];
        rel.left.get(l)?.delete(r);
        rel.right.get(r)?.delete(l);
        return;
      }
      case 'hasMany':
        if (this.store.get(def.foreignEntity)?.get(foreignId)?.data[def.foreignKey] === id) {
          this.setKey(def.foreignEntity, foreignId, def.foreignKey, null);
        }
        return;
      case 'belongsTo':
        if (this.store.get(entity)?.get(id)?.data[def.key] === foreignId)
          this.setKey(entity, id, def.key, null);
        return;
    }
  }

  private setKey(entity: string, id: string, key: string, value: string | null): void {
    const r = this.store.get(entity)?.get(id);
    if (r && r.data[key] !== value) this.applyUpdate(r, { [key]: value });
  }

  private dropEdgesOf(entity: string, id: string): void {
    for (const link of Object.keys(this.entityDefs[entity]?.links ?? {})) {
      const def = this.resolveLink(entity, link);
      if (def?.kind !== 'manyMany') continue;
      for (const fid of [...(this.linkedIdSet(entity, id, link) ?? [])])
        this.removeEdge(entity, id, def, fid);
    }
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** NULLs first ascending, as MySQL sorts. */
function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function validationFailure(field: string, type: string): EspoHttpError {
  return new EspoHttpError(400, `Field validation failure; field: ${field}, type: ${type}`, {
    messageTranslation: { label: 'validationFailure', scope: null, data: { field, type } },
  });
}

/**
 * EspoCRM keeps `emailAddress`/`phoneNumber` (the primary) and the `...Data` arrays in
 * step; a write of either side updates the other.
 */
function syncContactFields(data: EspoRecord, written: Record<string, unknown>): void {
  if (Array.isArray(written.emailAddressData)) {
    const list = written.emailAddressData as Array<{ emailAddress?: string; primary?: boolean }>;
    data.emailAddress = (list.find((e) => e.primary) ?? list[0])?.emailAddress ?? null;
  } else if ('emailAddress' in written) {
    data.emailAddressData = written.emailAddress
      ? [{ emailAddress: written.emailAddress, primary: true }]
      : [];
  }
  if (Array.isArray(written.phoneNumberData)) {
    const list = written.phoneNumberData as Array<{ phoneNumber?: string; primary?: boolean }>;
    data.phoneNumber = (list.find((p) => p.primary) ?? list[0])?.phoneNumber ?? null;
  } else if ('phoneNumber' in written) {
    data.phoneNumberData = written.phoneNumber
      ? [{ phoneNumber: written.phoneNumber, type: 'Office', primary: true }]
      : [];
  }
}

export async function startEspoCrmFake(
  opts: { port?: number; apiKey?: string; latencyMs?: number } & EspoCrmFakeOptions = {},
): Promise<EspoCrmFake> {
  const fake = new EspoCrmFake(opts);
  await fake.listen(opts.port ?? 0);
  return fake;
}
