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

export interface XaiCollection {
  /** `collection_<uuid>` */
  collection_id: string;
  collection_name: string;
  collection_description?: string;
  /** RFC 3339 timestamp (the management API is gRPC-gateway; timestamps are strings). */
  created_at: string;
  documents_count: number;
  field_definitions?: XaiFieldDefinition[];
}

export interface XaiCollectionInput {
  name: string;
  description?: string;
  fieldDefinitions?: XaiFieldDefinition[];
}

export type XaiDocumentStatus =
  'DOCUMENT_STATUS_PROCESSING' | 'DOCUMENT_STATUS_PROCESSED' | 'DOCUMENT_STATUS_FAILED';

export interface XaiFileMetadata {
  file_id: string;
  name?: string;
  size_bytes?: number;
  content_type?: string;
  created_at?: string;
}

/** One membership of a file in a collection, from `GET /v1/collections/{cid}/documents`. */
export interface XaiCollectionDocument {
  file_metadata?: XaiFileMetadata;
  status: XaiDocumentStatus | string;
  fields?: Record<string, string>;
  error_message?: string;
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
