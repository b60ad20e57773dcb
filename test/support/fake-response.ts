import { Writable } from 'node:stream';

/** Enough of express's Response for the service: status, headers, json, and a real writable body. */
export class FakeResponse extends Writable {
  statusCode = 0;
  headers: Record<string, string> = {};
  body?: unknown;
  chunks: Buffer[] = [];

  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
  json(body: unknown): this {
    this.body = body;
    return this;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
