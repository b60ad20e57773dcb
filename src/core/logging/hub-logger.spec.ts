import { generateKeyPairSync } from 'node:crypto';
import { HubLogger } from './hub-logger.js';

const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
/** A line from the middle of the key: the part that must never reach a log in any form. */
const PEM_BODY_LINE = PEM.split('\n')[5];
const QUOTED = 'pa"ss"word-7f3e9a';
const BACKSLASHED = 'C:\\vault\\key-4b8d2c';
const PLAIN = 'plain-secret-9c1d7e';

const SECRETS = [PEM, QUOTED, BACKSLASHED, PLAIN];

/** Everything the logger writes to stdout and stderr while `fn` runs. */
function captured(fn: () => void): string {
  let out = '';
  const write = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = write as typeof process.stdout.write;
  process.stderr.write = write as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
  return out;
}

/** The forms a secret takes once printed: raw, inside a JSON string, escaped twice, env-file `\n`. */
function forms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  return [secret, once, JSON.stringify(once).slice(1, -1), secret.replace(/\n/g, '\\n')];
}

function expectNoSecret(output: string): void {
  for (const secret of SECRETS)
    for (const form of forms(secret)) expect(output).not.toContain(form);
  expect(output).not.toContain(PEM_BODY_LINE);
  expect(output).not.toContain('pa\\"ss');
  expect(output).not.toContain('vault');
  expect(output).toContain('[REDACTED]');
}

const CASES: Array<[string, (log: HubLogger, secret: string) => void]> = [
  ['in a message string', (log, s) => log.log(`token answer: ${s} (end)`, 'Test')],
  ['in an object message', (log, s) => log.warn({ answer: { key: s, list: [s] } }, 'Test')],
  [
    'in a JSON body already serialised into the message',
    (log, s) => log.error(`upstream said ${JSON.stringify({ error: { detail: s } })}`, 'Test'),
  ],
  [
    'in an error with its stack',
    (log, s) => {
      const err = new Error(`refused ${s}`);
      (err as Error & { body?: unknown }).body = { echoed: s };
      log.error(err, 'Test');
    },
  ],
  [
    'in an error stack given as text',
    (log, s) => log.error('failed', `Error: x ${s}\n    at y`, 'Test'),
  ],
];

describe('HubLogger masks every configured secret before it is serialised', () => {
  for (const json of [true, false]) {
    describe(json ? 'JSON mode (production)' : 'pretty mode (development)', () => {
      const logger = () => new HubLogger({ json, level: 'debug', secrets: SECRETS });

      for (const [where, write] of CASES) {
        for (const [name, secret] of [
          ['a PEM key (multi-line)', PEM],
          ['a PEM key as an env file holds it (\\n escapes)', PEM.replace(/\n/g, '\\n')],
          ['a secret with quotes', QUOTED],
          ['a secret with backslashes', BACKSLASHED],
          ['a plain secret', PLAIN],
        ] as const) {
          it(`${name}, ${where}`, () => {
            const output = captured(() => write(logger(), secret));
            expect(output.length).toBeGreaterThan(0);
            expectNoSecret(output);
            if (json)
              for (const line of output.trim().split('\n'))
                expect(() => JSON.parse(line)).not.toThrow();
          });
        }
      }
    });
  }

  it('leaves text without secrets as it was', () => {
    const output = captured(() =>
      new HubLogger({ json: true, level: 'log', secrets: SECRETS }).log('nothing "secret" \\ here'),
    );
    expect(JSON.parse(output.trim())).toMatchObject({ message: 'nothing "secret" \\ here' });
  });
});
