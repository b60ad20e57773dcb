import { boundaryOf, MultipartError, parseMultipart } from './multipart.js';

async function encode(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const res = new Response(form);
  return {
    body: Buffer.from(await res.arrayBuffer()),
    contentType: res.headers.get('content-type') ?? '',
  };
}

describe('parseMultipart', () => {
  it('reads a file part with filename and type and a text part, bytes unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255, 254]);
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'Klage Müller.pdf');
    const { body, contentType } = await encode(form);

    const parts = parseMultipart(body, boundaryOf(contentType)!);

    expect(parts.map((p) => p.name)).toEqual(['purpose', 'file']);
    expect(parts[0].data.toString()).toBe('assistants');
    expect(parts[1].filename).toBe('Klage Müller.pdf');
    expect(parts[1].contentType).toBe('application/pdf');
    expect(Buffer.compare(parts[1].data, bytes)).toBe(0);
  });

  it('reads a quoted boundary and a RFC 5987 filename', () => {
    const body = Buffer.from(
      '--abc\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'%C3%A4.txt\r\n\r\nhi\r\n--abc--\r\n',
    );
    const parts = parseMultipart(body, boundaryOf('multipart/form-data; boundary="abc"')!);
    expect(parts).toHaveLength(1);
    expect(parts[0].filename).toBe('ä.txt');
    expect(parts[0].data.toString()).toBe('hi');
  });

  it('rejects a body that is not terminated', () => {
    const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"\r\n\r\nhi');
    expect(() => parseMultipart(body, 'abc')).toThrow(MultipartError);
  });

  it('finds no boundary in a non-multipart content type', () => {
    expect(boundaryOf('application/json')).toBeUndefined();
  });
});
