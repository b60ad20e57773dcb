import 'reflect-metadata';
import { runDoctor } from '../src/doctor/doctor.js';

/**
 * `npm run doctor` (or `ENV_FILE=path npm run doctor`): checks a configuration
 * against the real systems without writing anything; exit code 1 when a check fails.
 */
runDoctor(process.env, (line) => process.stdout.write(`${line}\n`)).then(
  ({ exitCode }) => process.exit(exitCode),
  (err: unknown) => {
    process.stderr.write(
      `doctor crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(2);
  },
);
