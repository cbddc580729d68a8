/** One sub-command of the `optical` CLI. Each lives in its own file under src/cli/commands/. */
export interface Command {
  name: string;
  /** One line for `optical help`. */
  summary: string;
  /** Full usage text for `optical <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line usage; main prints the message and the command's usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
