/** `optical queue status --queue URL [--run NAME]`: the units of queued compares and where they are. */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { formatStatus, queueStatus } from '../../compare/queue/status.js';
import { checkQueueName, checkQueueUrl, DEFAULT_QUEUE_NAME, QueueUrlError, redactUrl } from '../../compare/queue/connection.js';

const usage = `usage: optical queue status --queue redis://HOST:PORT[/DB] [--run NAME] [--queue-name optical] [--json]

Lists the jobs of queued compares per run: waiting, active (with the worker host:pid and the time
since it started), done (with how long it took) and failed (with attempts and the error).

  --queue       Redis URL of the queue
  --run         only this run (the compare config's name)
  --queue-name  BullMQ queue name (default optical)
  --json        one JSON array of rows instead of tables`;

export const command: Command = {
  name: 'queue',
  summary: 'status of queued compares: waiting / active / done / failed units with worker and time',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      queue: { type: 'string' }, run: { type: 'string' }, 'queue-name': { type: 'string' }, json: { type: 'boolean', default: false },
    }, true);
    if (positionals.length !== 1 || positionals[0] !== 'status') throw new UsageError(`expected the sub-command 'status', got ${positionals.length === 0 ? 'none' : `'${positionals.join(' ')}'`}`);
    if (!values.queue) throw new UsageError('--queue is required');
    try {
      checkQueueUrl(values.queue);
      if (values['queue-name'] !== undefined) checkQueueName(values['queue-name']);
    } catch (err) {
      if (err instanceof QueueUrlError) throw new UsageError(err.message);
      throw err;
    }
    const rows = await queueStatus(values.queue, { queueName: values['queue-name'], run: values.run });
    const label = `'${values['queue-name'] ?? DEFAULT_QUEUE_NAME}' at ${redactUrl(values.queue)}`;
    console.log(values.json ? JSON.stringify(rows, null, 2) : formatStatus(rows, label));
    return 0;
  },
};
