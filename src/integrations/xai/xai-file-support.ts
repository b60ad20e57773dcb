/**
 * What the hub may send to xAI at all, decided before any upload so the document
 * sync can mark a document `failed` with the reason instead of retrying a request
 * that can never succeed.
 */

/** The Files API's limit (CONTRACTS.md: 413 above 50 MB). */
export const XAI_MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * Document formats the collections docs name ("HTML, PDF, text, etc.", layout-aware
 * parsing of PDFs, Excel tables, code) plus the office formats a law firm's files
 * come in. Images are left out on purpose: the docs do not promise OCR of bare images,
 * and a scanned letter arrives as PDF anyway.
 */
const SUPPORTED_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  ['application/pdf', ['pdf']],
  ['text/plain', ['txt', 'text', 'log']],
  ['text/markdown', ['md', 'markdown']],
  ['text/x-markdown', ['md', 'markdown']],
  ['text/csv', ['csv']],
  ['text/tab-separated-values', ['tsv']],
  ['text/html', ['html', 'htm']],
  ['application/xhtml+xml', ['xhtml']],
  ['application/json', ['json']],
  ['application/xml', ['xml']],
  ['text/xml', ['xml']],
  ['application/rtf', ['rtf']],
  ['text/rtf', ['rtf']],
  ['application/msword', ['doc']],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', ['docx']],
  ['application/vnd.ms-excel', ['xls']],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ['xlsx']],
  ['application/vnd.ms-powerpoint', ['ppt']],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', ['pptx']],
  ['application/vnd.oasis.opendocument.text', ['odt']],
  ['application/vnd.oasis.opendocument.spreadsheet', ['ods']],
  ['application/epub+zip', ['epub']],
]);

const SUPPORTED_EXTENSIONS = new Set([...SUPPORTED_TYPES.values()].flat());

/** Types that say nothing about the content; EspoCRM stores many uploads like this. */
const GENERIC_TYPES = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
]);

function normaliseMime(mime: string | null | undefined): string {
  return (mime ?? '').split(';')[0].trim().toLowerCase();
}

function extensionOf(filename: string | null | undefined): string {
  const name = (filename ?? '').trim().toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1) : '';
}

/**
 * True when xAI can index the file. A specific MIME type decides by itself; a
 * generic one (`application/octet-stream`, missing) falls back to the extension.
 */
export function isSupportedMimeType(
  mime: string | null | undefined,
  filename: string | null | undefined,
): boolean {
  const type = normaliseMime(mime);
  if (SUPPORTED_TYPES.has(type)) return true;
  if (!GENERIC_TYPES.has(type)) return false;
  return SUPPORTED_EXTENSIONS.has(extensionOf(filename));
}

export interface UploadCandidate {
  filename: string;
  mimeType: string | null | undefined;
  bytes: number;
}

/** The reason a file must not be uploaded, or undefined when it may be. */
export function uploadRefusalReason(file: UploadCandidate): string | undefined {
  if (file.bytes > XAI_MAX_FILE_BYTES) {
    return `file ${file.filename} is ${formatBytes(file.bytes)}, above the xAI limit of ${formatBytes(XAI_MAX_FILE_BYTES)}`;
  }
  if (!isSupportedMimeType(file.mimeType, file.filename)) {
    return `file ${file.filename} has type ${normaliseMime(file.mimeType) || 'unknown'}, which xAI collections do not index`;
  }
  return undefined;
}

/** `52428800` → `50.0 MB (52428800 bytes)`: readable, and exact for whoever checks. */
export function formatBytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB (${bytes} bytes)`;
}
