import {
  isSupportedMimeType,
  uploadRefusalReason,
  XAI_MAX_FILE_BYTES,
} from './xai-file-support.js';

describe('isSupportedMimeType', () => {
  it.each([
    ['application/pdf', 'Klage.pdf'],
    ['application/pdf; charset=binary', 'Klage.pdf'],
    ['APPLICATION/PDF', 'Klage.PDF'],
    ['text/plain', 'notiz.txt'],
    ['text/markdown', 'readme.md'],
    ['text/csv', 'liste.csv'],
    ['text/html', 'mail.html'],
    ['application/json', 'daten.json'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'Schriftsatz.docx'],
    ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Kosten.xlsx'],
    ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'Folien.pptx'],
    ['application/msword', 'alt.doc'],
    ['application/rtf', 'brief.rtf'],
  ])('accepts %s (%s)', (mime, filename) => {
    expect(isSupportedMimeType(mime, filename)).toBe(true);
  });

  it.each([
    ['application/octet-stream', 'Vertrag.pdf'],
    ['', 'Vertrag.docx'],
    [undefined, 'notes.md'],
    ['binary/octet-stream', 'Tabelle.XLSX'],
  ])('falls back to the extension for the generic type %s (%s)', (mime, filename) => {
    expect(isSupportedMimeType(mime, filename)).toBe(true);
  });

  it.each([
    ['image/png', 'scan.png'],
    ['image/jpeg', 'foto.jpg'],
    ['application/zip', 'akte.zip'],
    ['video/mp4', 'aufnahme.mp4'],
    ['application/x-msdownload', 'tool.exe'],
    // A specific type decides by itself, whatever the name says.
    ['image/png', 'tarnung.pdf'],
  ])('refuses %s (%s)', (mime, filename) => {
    expect(isSupportedMimeType(mime, filename)).toBe(false);
  });

  it.each([
    ['application/octet-stream', 'akte.zip'],
    ['application/octet-stream', 'ohne-endung'],
    ['application/octet-stream', '.pdf'],
    [undefined, undefined],
  ])('refuses a generic type %s without a supported extension (%s)', (mime, filename) => {
    expect(isSupportedMimeType(mime, filename)).toBe(false);
  });
});

describe('uploadRefusalReason', () => {
  it('allows a supported file at exactly the limit', () => {
    expect(
      uploadRefusalReason({
        filename: 'a.pdf',
        mimeType: 'application/pdf',
        bytes: XAI_MAX_FILE_BYTES,
      }),
    ).toBe(undefined);
  });

  it('names size and limit for a file one byte too large', () => {
    const reason = uploadRefusalReason({
      filename: 'a.pdf',
      mimeType: 'application/pdf',
      bytes: XAI_MAX_FILE_BYTES + 1,
    });
    expect(reason).toContain(`${XAI_MAX_FILE_BYTES + 1} bytes`);
    expect(reason).toContain(`${XAI_MAX_FILE_BYTES} bytes`);
  });

  it('names the type of an unsupported file', () => {
    expect(uploadRefusalReason({ filename: 'x.png', mimeType: 'image/png', bytes: 10 })).toContain(
      'image/png',
    );
  });

  it('checks the size before the type', () => {
    expect(
      uploadRefusalReason({
        filename: 'x.png',
        mimeType: 'image/png',
        bytes: XAI_MAX_FILE_BYTES + 1,
      }),
    ).toContain('limit');
  });
});
