#!/usr/bin/env node
/** `npm run bench:gemm` entry (node dist/bench/nn/gemm.js); same options as `optical bench gemm`. */
import { UsageError } from '../../src/cli/command.js';
import { runGemmBenchCli } from './gemm-cli.js';
import { GEMM_USAGE } from './gemm-usage.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(GEMM_USAGE);
} else {
  runGemmBenchCli(argv).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`bench:gemm: ${err.message}\n\n${GEMM_USAGE}`);
        process.exitCode = 2;
      } else {
        console.error(err);
        process.exitCode = 1;
      }
    },
  );
}
