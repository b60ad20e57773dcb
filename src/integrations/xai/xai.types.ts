/**
 * Wire shapes of the xAI Files API (api.x.ai) and the Collections management API
 * (management-api.x.ai), as CONTRACTS.md and https://docs.x.ai/developers/files/collections/api
 * describe them. Field names stay snake_case: they are the wire's, and a rename
 * here would hide a mismatch with the upstream.
 */

/** `POST /v1/files` and `GET /v1/files/{id}`. */
export interface XaiFile {
  /** `file_<uuid>` */
  id: string;
  object: 'file' | string;
  bytes: number;
  /** Unix seconds. */
  created_at: number;
  filename: string;
  purpose: string;
}

export interface XaiUploadInput {
  filename: string;
  mimeType: string;
  data: Buffer;
  purpose?: string;
}

/**
 * A metadata field a collection declares; documents then carry `fields` with these
 * keys. Shape from the docs' "Metadata Fields" (required, unique, inject_into_chunk).
 */
export interface XaiFieldDefinition {
  key: string;
  required?: boolean;
  unique?: boolean;
  inject_into_chunk?: boolean;
  description?: string;
}

/*
 * The management API is a gRPC gateway: timestamps are RFC 3339 strings, int64
 * numbers (`size_bytes`) arrive as strings, and zero values may be left out
 * (`documents_count` of an empty collection, the last page's `pagination_token`).
 */

export interface XaiCollection {
  /** `collection_<uuid>` */
  collection_id: string;
  collection_name: string;
  collection_description?: string;
  created_at: string;
  /** Absent when 0 (the gateway omits zero values); read it as `?? 0`. */
  documents_count?: number;
  field_definitions?: XaiFieldDefinition[];
}

export interface XaiCollectionInput {
  name: string;
  description?: string;
  fieldDefinitions?: XaiFieldDefinition[];
}

export interface XaiFieldDefinitionUpdate {
  field_definition: XaiFieldDefinition;
  operation: 'FIELD_DEFINITION_ADD' | 'FIELD_DEFINITION_DELETE';
}

/** `PUT /v1/collections/{id}` changes only what is sent. */
export interface XaiCollectionUpdate {
  name?: string;
  description?: string;
  fieldDefinitionUpdates?: XaiFieldDefinitionUpdate[];
}

export type XaiDocumentStatus =
  | 'DOCUMENT_STATUS_UNKNOWN'
  | 'DOCUMENT_STATUS_PROCESSING'
  | 'DOCUMENT_STATUS_PROCESSED'
  | 'DOCUMENT_STATUS_FAILED';

export interface XaiFileMetadata {
  file_id: string;
  name?: string;
  /** int64 as a string, e.g. `"115306"`. */
  size_bytes?: string;
  content_type?: string;
  created_at?: string;
  /** A content hash computed by xAI; the algorithm is undocumented, so compare it only with itself. */
  hash?: string;
}

/** One membership of a file in a collection (`GET /v1/collections/{cid}/documents[/{file_id}]`). */
export interface XaiCollectionDocument {
  file_metadata?: XaiFileMetadata;
  status: XaiDocumentStatus;
  fields?: Record<string, string>;
  error_message?: string;
  last_indexed_at?: string;
}

export interface XaiCollectionPage {
  collections: XaiCollection[];
  pagination_token?: string | null;
}

export interface XaiDocumentPage {
  documents: XaiCollectionDocument[];
  pagination_token?: string | null;
}

export interface XaiListOptions {
  /** Page size asked for; the upstream may return fewer. */
  pageSize?: number;
}
