#!/usr/bin/env node
/** The `optical` command: dispatches to src/cli/commands/<name>.ts. */
import { commands } from './commands/index.js';
import { UsageError } from './command.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    const { formatOpticalVersion, opticalVersion } = await import('../data/provenance.js');
    console.log(formatOpticalVersion(opticalVersion()));
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    // `optical help eval` = `optical eval --help`.
    const load = commands[rest[0]];
    if (!load) {
      console.error(`optical: unknown command '${rest[0]}' (see 'optical help')`);
      return 2;
    }
    console.log((await load()).usage);
    return 0;
  }
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const lines = ['usage: optical <command> [options]', '', 'commands:'];
    for (const key of Object.keys(commands).sort()) {
      const cmd = await commands[key]();
      lines.push(`  ${key.padEnd(16)} ${cmd.summary}`);
    }
    lines.push('', "'optical <command> --help' or 'optical help <command>' shows the options of one command; 'optical --version' the version.");
    console.log(lines.join('\n'));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`optical: unknown command '${name}' (see 'optical help')`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`optical ${name}: ${err.message}\n\n${cmd.usage}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(err instanceof Error ? `optical: ${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  },
);
