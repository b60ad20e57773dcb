import { createHash, randomUUID } from 'node:crypto';
import {
  FakeServer,
  type FakeRequest,
  type FakeResponse,
  type RouteHandler,
} from '../common/fake-server.js';
import { TEST_SECRETS } from '../../support/test-env.js';
import { boundaryOf, MultipartError, parseMultipart } from './multipart.js';

/**
 * Fake of xAI's Files API and Collections management API (CONTRACTS.md "xAI").
 *
 * One server answers both hosts' paths (tests point both base URLs at it) but keeps
 * the two keys apart as xAI does: `/v1/files*` only with the API key,
 * `/v1/collections*` only with the management key; anything else is 401.
 *
 * Decisions where the docs are silent (unverified against the real service):
 * - adding a file that is already a member answers **409** `ALREADY_EXISTS`;
 * - `fields` on an add are checked only against `required` field definitions (400);
 * - deleting a file also ends its memberships; deleting a collection or a
 *   membership never deletes a file;
 * - page tokens are opaque and stable under deletions; `limit` defaults to 100 and
 *   is capped at 100;
 * - a new membership is `DOCUMENT_STATUS_PROCESSING` and turns
 *   `DOCUMENT_STATUS_PROCESSED` once `processingDelayMs` (default 0) has passed, so
 *   with the default every read after the add sees it processed.
 */

export const XAI_FAKE_MAX_FILE_BYTES = 50 * 1024 * 1024;
const MAX_PAGE = 100;

export type FakeDocumentStatus =
  'DOCUMENT_STATUS_PROCESSING' | 'DOCUMENT_STATUS_PROCESSED' | 'DOCUMENT_STATUS_FAILED';

export interface FakeXaiFile {
  id: string;
  filename: string;
  bytes: number;
  md5: string;
  /** What the fake reports as `file_metadata.hash` (the real algorithm is undocumented). */
  sha256: string;
  contentType: string;
  purpose: string;
  /** Unix seconds, as the Files API answers. */
  created_at: number;
}

export interface FakeFieldDefinition {
  key: string;
  required?: boolean;
  unique?: boolean;
  inject_into_chunk?: boolean;
  description?: string;
}

interface Membership {
  seq: number;
  fileId: string;
  fields?: Record<string, string>;
  addedAt: number;
  /** Set by a test to force a status (e.g. FAILED); otherwise derived from time. */
  forcedStatus?: FakeDocumentStatus;
  errorMessage?: string;
}

interface StoredCollection {
  seq: number;
  collection_id: string;
  collection_name: string;
  collection_description?: string;
  field_definitions: FakeFieldDefinition[];
  created_at: string;
  members: Map<string, Membership>;
}

export interface FakeXaiCollection {
  collection_id: string;
  collection_name: string;
  collection_description?: string;
  field_definitions: FakeFieldDefinition[];
  created_at: string;
  documents_count: number;
}

export interface FakeXaiDocument {
  file_metadata: {
    file_id: string;
    name: string;
    /** int64 as a string, as the gRPC gateway sends it. */
    size_bytes: string;
    content_type: string;
    created_at: string;
    hash: string;
  };
  status: FakeDocumentStatus;
  fields?: Record<string, string>;
  error_message?: string;
  last_indexed_at?: string;
}

export interface XaiFakeSeed {
  files?: Array<{
    id?: string;
    filename: string;
    /** Text content; md5 and bytes follow from it unless given. */
    content?: string;
    bytes?: number;
    md5?: string;
    contentType?: string;
    purpose?: string;
  }>;
  collections?: Array<{
    collection_id?: string;
    collection_name: string;
    collection_description?: string;
    field_definitions?: FakeFieldDefinition[];
    documents?: Array<{
      file_id: string;
      fields?: Record<string, string>;
      status?: FakeDocumentStatus;
    }>;
  }>;
}

export interface XaiFakeOptions {
  port?: number;
  apiKey?: string;
  managementKey?: string;
  latencyMs?: number;
  /** How long a new membership stays PROCESSING. */
  processingDelayMs?: number;
  logBodies?: boolean;
}

type KeyKind = 'files' | 'management';

export class XaiFake extends FakeServer {
  apiKey: string;
  managementKey: string;
  processingDelayMs: number;
  uploadCount = 0;

  private readonly defaults: { apiKey: string; managementKey: string; processingDelayMs: number };
  private readonly fileStore = new Map<string, FakeXaiFile>();
  private readonly collectionStore = new Map<string, StoredCollection>();
  private seq = 0;

  constructor(options: XaiFakeOptions = {}) {
    super({ name: 'xai', latencyMs: options.latencyMs, logBodies: options.logBodies });
    this.defaults = {
      apiKey: options.apiKey ?? TEST_SECRETS.XAI_API_KEY,
      managementKey: options.managementKey ?? TEST_SECRETS.XAI_MANAGEMENT_KEY,
      processingDelayMs: options.processingDelayMs ?? 0,
    };
    this.apiKey = this.defaults.apiKey;
    this.managementKey = this.defaults.managementKey;
    this.processingDelayMs = this.defaults.processingDelayMs;
    this.registerRoutes();
  }

  // --- typed in-process API for tests ---------------------------------------------------

  files(): FakeXaiFile[] {
    return [...this.fileStore.values()].map((f) => ({ ...f }));
  }

  file(id: string): FakeXaiFile | undefined {
    const f = this.fileStore.get(id);
    return f ? { ...f } : undefined;
  }

  collections(): FakeXaiCollection[] {
    return [...this.collectionStore.values()].map((c) => this.collectionView(c));
  }

  collection(id: string): FakeXaiCollection | undefined {
    const c = this.collectionStore.get(id);
    return c ? this.collectionView(c) : undefined;
  }

  /** File ids in the collection, in the order they were added; [] when it does not exist. */
  members(collectionId: string): string[] {
    const c = this.collectionStore.get(collectionId);
    return c ? [...c.members.values()].sort((a, b) => a.seq - b.seq).map((m) => m.fileId) : [];
  }

  documents(collectionId: string): FakeXaiDocument[] {
    const c = this.collectionStore.get(collectionId);
    return c
      ? [...c.members.values()].sort((a, b) => a.seq - b.seq).map((m) => this.documentView(m))
      : [];
  }

  /** The collection vanishes as if someone deleted it in the xAI console. */
  deleteCollectionDirectly(id: string): boolean {
    return this.collectionStore.delete(id);
  }

  deleteFileDirectly(id: string): boolean {
    this.dropMemberships(id);
    return this.fileStore.delete(id);
  }

  /** Forces a membership's status, e.g. to simulate xAI failing to index a file. */
  setDocumentStatus(
    collectionId: string,
    fileId: string,
    status: FakeDocumentStatus,
    errorMessage?: string,
  ): void {
    const m = this.collectionStore.get(collectionId)?.members.get(fileId);
    if (!m) throw new Error(`${fileId} is not a member of ${collectionId}`);
    m.forcedStatus = status;
    m.errorMessage = errorMessage;
  }

  // --- FakeServer contract ---------------------------------------------------------------

  state(): unknown {
    return {
      uploadCount: this.uploadCount,
      files: this.files(),
      collections: [...this.collectionStore.values()].map((c) => ({
        ...this.collectionView(c),
        documents: this.documents(c.collection_id),
      })),
    };
  }

  reset(): void {
    this.fileStore.clear();
    this.collectionStore.clear();
    this.uploadCount = 0;
    this.apiKey = this.defaults.apiKey;
    this.managementKey = this.defaults.managementKey;
    this.processingDelayMs = this.defaults.processingDelayMs;
  }

  seed(data: unknown): void {
    const seed = (data ?? {}) as XaiFakeSeed;
    for (const f of seed.files ?? []) {
      if (!f || typeof f.filename !== 'string') throw new Error('seed.files[] needs a filename');
      const content = Buffer.from(f.content ?? '');
      const file: FakeXaiFile = {
        id: f.id ?? `file_${randomUUID()}`,
        filename: f.filename,
        bytes: f.bytes ?? content.length,
        md5: f.md5 ?? md5(content),
        sha256: sha256(content),
        contentType: f.contentType ?? 'text/plain',
        purpose: f.purpose ?? '',
        created_at: Math.floor(Date.now() / 1000),
      };
      this.fileStore.set(file.id, file);
    }
    for (const c of seed.collections ?? []) {
      if (!c || typeof c.collection_name !== 'string')
        throw new Error('seed.collections[] needs a collection_name');
      const stored = this.newCollection(
        c.collection_name,
        c.collection_description,
        c.field_definitions ?? [],
      );
      if (c.collection_id) stored.collection_id = c.collection_id;
      this.collectionStore.set(stored.collection_id, stored);
      for (const d of c.documents ?? []) {
        if (!this.fileStore.has(d.file_id))
          throw new Error(`seeded document ${d.file_id} is not a seeded file`);
        stored.members.set(d.file_id, {
          seq: ++this.seq,
          fileId: d.file_id,
          fields: d.fields,
          addedAt: Date.now() - this.processingDelayMs,
          forcedStatus: d.status,
        });
      }
    }
  }

  /** Injected faults answer like xAI does: `{code, error}`. */
  protected override faultBody(status: number): unknown {
    const code = status === 429 ? 'Too many requests' : status >= 500 ? 'Internal error' : 'Error';
    return { code, error: `injected ${status}` };
  }

  // --- routes ----------------------------------------------------------------------------

  private registerRoutes(): void {
    const files = (h: RouteHandler) => this.authorized('files', h);
    const mgmt = (h: RouteHandler) => this.authorized('management', h);

    this.route(
      'POST',
      '/v1/files',
      files((req) => this.upload(req)),
    );
    this.route(
      'GET',
      '/v1/files/:id',
      files((req) => this.withFile(req.params.id, (f) => ok(fileWire(f)))),
    );
    this.route(
      'DELETE',
      '/v1/files/:id',
      files((req) =>
        this.withFile(req.params.id, (f) => {
          this.dropMemberships(f.id);
          this.fileStore.delete(f.id);
          return ok({ id: f.id, object: 'file', deleted: true });
        }),
      ),
    );

    this.route(
      'POST',
      '/v1/collections',
      mgmt((req) => this.createCollection(req)),
    );
    this.route(
      'GET',
      '/v1/collections',
      mgmt((req) => this.listCollections(req)),
    );
    this.route(
      'GET',
      '/v1/collections/:cid',
      mgmt((req) => this.withCollection(req, (c) => ok(this.collectionView(c)))),
    );
    this.route(
      'PUT',
      '/v1/collections/:cid',
      mgmt((req) => this.withCollection(req, (c) => this.updateCollection(req, c))),
    );
    this.route(
      'DELETE',
      '/v1/collections/:cid',
      mgmt((req) =>
        this.withCollection(req, (c) => {
          this.collectionStore.delete(c.collection_id);
          return ok({});
        }),
      ),
    );

    this.route(
      'GET',
      '/v1/collections/:cid/documents',
      mgmt((req) => this.withCollection(req, (c) => this.listDocuments(req, c))),
    );
    this.route(
      'POST',
      '/v1/collections/:cid/documents/:fid',
      mgmt((req) => this.withCollection(req, (c) => this.addDocument(req, c))),
    );
    this.route(
      'GET',
      '/v1/collections/:cid/documents/:fid',
      mgmt((req) =>
        this.withCollection(req, (c) => {
          const m = c.members.get(req.params.fid);
          return m
            ? ok(this.documentView(m))
            : notFound(`document ${req.params.fid} not found in collection ${c.collection_id}`);
        }),
      ),
    );
    this.route(
      'DELETE',
      '/v1/collections/:cid/documents/:fid',
      mgmt((req) =>
        this.withCollection(req, (c) => {
          // Only the membership goes; the file stays on the Files API.
          if (!c.members.delete(req.params.fid)) {
            return notFound(
              `document ${req.params.fid} not found in collection ${c.collection_id}`,
            );
          }
          return ok({});
        }),
      ),
    );
  }

  private authorized(kind: KeyKind, handler: RouteHandler): RouteHandler {
    return (req) => {
      const header = req.headers.authorization;
      const expected = kind === 'files' ? this.apiKey : this.managementKey;
      if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
        return error(
          401,
          'Unauthenticated',
          'No API key provided. Send it as "Authorization: Bearer <key>".',
        );
      }
      const given = header.slice('Bearer '.length).trim();
      if (given !== expected) {
        const which = kind === 'files' ? 'an API key' : 'a management API key';
        return error(
          401,
          'Unauthenticated',
          `Incorrect key provided: ${mask(given)}. This endpoint needs ${which}.`,
        );
      }
      return handler(req);
    };
  }

  private upload(req: FakeRequest): FakeResponse {
    const boundary = boundaryOf(req.headers['content-type']);
    if (!boundary) return error(400, 'Invalid argument', 'expected a multipart/form-data body');
    let parts;
    try {
      parts = parseMultipart(req.rawBody, boundary);
    } catch (err) {
      if (err instanceof MultipartError) return error(400, 'Invalid argument', err.message);
      throw err;
    }
    const filePart = parts.find((p) => p.name === 'file' && p.filename !== undefined);
    if (!filePart)
      return error(400, 'Invalid argument', 'multipart part "file" with a filename is required');
    if (filePart.filename === '')
      return error(400, 'Invalid argument', 'the file part has an empty filename');
    if (filePart.data.length > XAI_FAKE_MAX_FILE_BYTES) {
      return error(
        413,
        'Payload too large',
        `file is ${filePart.data.length} bytes, the limit is ${XAI_FAKE_MAX_FILE_BYTES} bytes`,
      );
    }
    const purpose = parts.find((p) => p.name === 'purpose')?.data.toString('utf8') ?? '';
    const file: FakeXaiFile = {
      id: `file_${randomUUID()}`,
      filename: filePart.filename!,
      bytes: filePart.data.length,
      md5: md5(filePart.data),
      sha256: sha256(filePart.data),
      contentType: filePart.contentType ?? 'application/octet-stream',
      purpose,
      created_at: Math.floor(Date.now() / 1000),
    };
    this.fileStore.set(file.id, file);
    this.uploadCount += 1;
    return ok(fileWire(file));
  }

  private createCollection(req: FakeRequest): FakeResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const invalid = validateCollectionBody(body, true);
    if (invalid) return error(400, 'Invalid argument', invalid);
    const c = this.newCollection(
      body.collection_name as string,
      body.collection_description as string | undefined,
      (body.field_definitions as FakeFieldDefinition[] | undefined) ?? [],
    );
    this.collectionStore.set(c.collection_id, c);
    return ok(this.collectionView(c));
  }

  private updateCollection(req: FakeRequest, c: StoredCollection): FakeResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const invalid = validateCollectionBody(body, false);
    if (invalid) return error(400, 'Invalid argument', invalid);
    const updates = body.field_definition_updates;
    if (updates !== undefined && !isFieldDefinitionUpdates(updates)) {
      return error(
        400,
        'Invalid argument',
        'field_definition_updates must be [{field_definition: {key}, operation}]',
      );
    }
    // Partial update: only what is sent changes.
    if (body.collection_name !== undefined) c.collection_name = body.collection_name as string;
    if (body.collection_description !== undefined)
      c.collection_description = body.collection_description as string;
    for (const u of updates ?? []) {
      c.field_definitions = c.field_definitions.filter((d) => d.key !== u.field_definition.key);
      if (u.operation === 'FIELD_DEFINITION_ADD') c.field_definitions.push(u.field_definition);
    }
    return ok(this.collectionView(c));
  }

  private listCollections(req: FakeRequest): FakeResponse {
    const page = paginate([...this.collectionStore.values()], req);
    if ('error' in page) return page.error;
    return ok({
      collections: page.items.map((c) => this.collectionView(c)),
      pagination_token: page.next,
    });
  }

  private listDocuments(req: FakeRequest, c: StoredCollection): FakeResponse {
    const page = paginate([...c.members.values()], req);
    if ('error' in page) return page.error;
    return ok({
      documents: page.items.map((m) => this.documentView(m)),
      pagination_token: page.next,
    });
  }

  private addDocument(req: FakeRequest, c: StoredCollection): FakeResponse {
    const fileId = req.params.fid;
    if (!this.fileStore.has(fileId)) return notFound(`file ${fileId} not found`);
    if (c.members.has(fileId)) {
      return error(
        409,
        'Already exists',
        `file ${fileId} is already in collection ${c.collection_id}`,
      );
    }
    const body = (req.body ?? {}) as { fields?: unknown };
    if (body.fields !== undefined && !isStringRecord(body.fields)) {
      return error(400, 'Invalid argument', 'fields must be an object of strings');
    }
    const fields = body.fields as Record<string, string> | undefined;
    const missing = c.field_definitions
      .filter((d) => d.required && !(fields && d.key in fields))
      .map((d) => d.key);
    if (missing.length > 0)
      return error(400, 'Invalid argument', `required fields missing: ${missing.join(', ')}`);
    c.members.set(fileId, { seq: ++this.seq, fileId, fields, addedAt: Date.now() });
    return ok({});
  }

  // --- helpers ---------------------------------------------------------------------------

  private withFile(id: string, fn: (f: FakeXaiFile) => FakeResponse): FakeResponse {
    const f = this.fileStore.get(id);
    return f ? fn(f) : notFound(`file ${id} not found`);
  }

  private withCollection(
    req: FakeRequest,
    fn: (c: StoredCollection) => FakeResponse,
  ): FakeResponse {
    const c = this.collectionStore.get(req.params.cid);
    return c ? fn(c) : notFound(`collection ${req.params.cid} not found`);
  }

  private newCollection(
    name: string,
    description: string | undefined,
    defs: FakeFieldDefinition[],
  ): StoredCollection {
    return {
      seq: ++this.seq,
      collection_id: `collection_${randomUUID()}`,
      collection_name: name,
      collection_description: description,
      field_definitions: defs,
      created_at: new Date().toISOString(),
      members: new Map(),
    };
  }

  private dropMemberships(fileId: string): void {
    for (const c of this.collectionStore.values()) c.members.delete(fileId);
  }

  private collectionView(c: StoredCollection): FakeXaiCollection {
    const view: FakeXaiCollection = {
      collection_id: c.collection_id,
      collection_name: c.collection_name,
      field_definitions: c.field_definitions,
      created_at: c.created_at,
      documents_count: c.members.size,
    };
    if (c.collection_description !== undefined)
      view.collection_description = c.collection_description;
    return view;
  }

  private documentView(m: Membership): FakeXaiDocument {
    const f = this.fileStore.get(m.fileId);
    const indexedAt = m.addedAt + this.processingDelayMs;
    const status =
      m.forcedStatus ??
      (Date.now() >= indexedAt ? 'DOCUMENT_STATUS_PROCESSED' : 'DOCUMENT_STATUS_PROCESSING');
    const doc: FakeXaiDocument = {
      file_metadata: {
        file_id: m.fileId,
        name: f?.filename ?? '',
        size_bytes: String(f?.bytes ?? 0),
        content_type: f?.contentType ?? '',
        created_at: new Date((f?.created_at ?? 0) * 1000).toISOString(),
        hash: f?.sha256 ?? '',
      },
      status,
    };
    if (m.fields) doc.fields = { ...m.fields };
    if (m.errorMessage) doc.error_message = m.errorMessage;
    if (status === 'DOCUMENT_STATUS_PROCESSED')
      doc.last_indexed_at = new Date(indexedAt).toISOString();
    return doc;
  }
}

export async function startXaiFake(options: XaiFakeOptions = {}): Promise<XaiFake> {
  const fake = new XaiFake(options);
  await fake.listen(options.port ?? 0);
  return fake;
}

function ok(body: unknown): FakeResponse {
  return { status: 200, body };
}

function error(status: number, code: string, message: string): FakeResponse {
  return { status, body: { code, error: message } };
}

function notFound(message: string): FakeResponse {
  return error(404, 'Not found', message);
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function mask(key: string): string {
  return key.length <= 4 ? '***' : `${key.slice(0, 4)}***`;
}

function fileWire(f: FakeXaiFile): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.created_at,
    filename: f.filename,
    purpose: f.purpose,
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

interface FieldDefinitionUpdate {
  field_definition: FakeFieldDefinition;
  operation: 'FIELD_DEFINITION_ADD' | 'FIELD_DEFINITION_DELETE';
}

function isFieldDefinitionUpdates(value: unknown): value is FieldDefinitionUpdate[] {
  return (
    Array.isArray(value) &&
    value.every(
      (u) =>
        typeof (u as { field_definition?: { key?: unknown } })?.field_definition?.key ===
          'string' &&
        ['FIELD_DEFINITION_ADD', 'FIELD_DEFINITION_DELETE'].includes(
          (u as { operation?: string }).operation ?? '',
        ),
    )
  );
}

function validateCollectionBody(
  body: Record<string, unknown>,
  create: boolean,
): string | undefined {
  const name = body.collection_name;
  if ((create || name !== undefined) && (typeof name !== 'string' || name.trim() === '')) {
    return 'collection_name must be a non-empty string';
  }
  if (
    body.collection_description !== undefined &&
    typeof body.collection_description !== 'string'
  ) {
    return 'collection_description must be a string';
  }
  if (body.field_definitions !== undefined) {
    const defs = body.field_definitions;
    if (
      !Array.isArray(defs) ||
      !defs.every((d) => typeof (d as { key?: unknown })?.key === 'string')
    ) {
      return 'field_definitions must be a list of {key, ...}';
    }
  }
  return undefined;
}

/** Opaque, deletion-proof page tokens: the last returned item's sequence number. */
function paginate<T extends { seq: number }>(
  all: T[],
  req: FakeRequest,
): { items: T[]; next: string | null } | { error: FakeResponse } {
  const limitRaw = req.query.get('limit');
  let limit = MAX_PAGE;
  if (limitRaw !== null) {
    const n = Number(limitRaw);
    if (!Number.isInteger(n) || n < 1)
      return { error: error(400, 'Invalid argument', `invalid limit ${limitRaw}`) };
    limit = Math.min(n, MAX_PAGE);
  }
  let after = 0;
  const token = req.query.get('pagination_token');
  if (token) {
    const m = /^seq:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) return { error: error(400, 'Invalid argument', 'invalid pagination_token') };
    after = Number(m[1]);
  }
  const sorted = all.filter((x) => x.seq > after).sort((a, b) => a.seq - b.seq);
  const items = sorted.slice(0, limit);
  const next =
    sorted.length > limit
      ? Buffer.from(`seq:${items[items.length - 1].seq}`).toString('base64url')
      : null;
  return { items, next };
}
