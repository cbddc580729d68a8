#!/usr/bin/env node
/**
 * `npm run bench:sinkhorn` entry (runs from dist/: node dist/bench/sinkhorn/main.js). Same options as
 * `optical bench sinkhorn`; the npm script adds --peers.
 */
import { UsageError } from '../../src/cli/command.js';
import { runSinkhornBench } from './cli.js';
import { SINKHORN_USAGE } from './usage.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(SINKHORN_USAGE);
} else {
  runSinkhornBench(argv).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`bench:sinkhorn: ${err.message}\n\n${SINKHORN_USAGE}`);
        process.exitCode = 2;
      } else {
        console.error(err);
        process.exitCode = 1;
      }
    },
  );
}
