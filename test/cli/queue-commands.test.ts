/**
 * Command-line checks of the queue commands: bad options are usage errors (exit code 2) before any
 * work, and an unreachable Redis is a clear error, not a hang.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { command as worker } from '../../src/cli/commands/worker.js';
import { command as queue } from '../../src/cli/commands/queue.js';
import { command as compare } from '../../src/cli/commands/compare.js';
import { command as csSweep } from '../../src/cli/commands/cs-sweep.js';

const dir = mkdtempSync(join(tmpdir(), 'optical-queue-cli-'));

describe('queue command lines', () => {
  it.each([
    [worker, [], /--queue is required/],
    [worker, ['--queue', 'redis://h:1'], /--out is required/],
    [worker, ['--queue', 'http://h:1', '--out', dir], /--queue must start with redis:\/\/ or rediss:\/\//],
    [worker, ['--queue', 'redis://h:1/x', '--out', dir], /the path must be a database number/],
    [worker, ['--queue', 'redis://h:1', '--out', dir, '--engine', 'cuda'], /--engine must be one of auto, native, tfjs, got 'cuda'/],
    [worker, ['--queue', 'redis://h:1', '--out', dir, '--concurrency', '0'], /--concurrency must be a positive integer/],
    [worker, ['--queue', 'redis://h:1', '--out', dir, '--queue-name', 'a:b'], /--queue-name may only contain/],
    [worker, ['--queue', 'redis://h:1', '--out', join(dir, 'missing')], /--out .*missing is not a folder/],
    [queue, ['--queue', 'redis://h:1'], /expected the sub-command 'status', got none/],
    [queue, ['stats', '--queue', 'redis://h:1'], /expected the sub-command 'status', got 'stats'/],
    [queue, ['status'], /--queue is required/],
    [compare, ['--config', 'demo-sw', '--detach'], /--detach applies only with --queue/],
    [compare, ['--config', 'demo-sw', '--attempts', '3'], /--attempts applies only with --queue/],
    [compare, ['--config', 'demo-sw', '--queue', 'redis://h:1', '--attempts', '0'], /--attempts must be a positive integer/],
    [compare, ['--config', 'demo-sw', '--shard-size', '100'], /--shard-size must be a multiple of the encoding batch size 32, got 100/],
    [compare, ['--config', 'demo-sw', '--queue', 'redis://h:1', '--max-units', '2'], /--max-units applies to in-process runs only/],
    [csSweep, ['--config', 'demo-sw', '--queue', 'redis:/'], /--queue/],
  ])('%#: rejects with a usage error', async (cmd, argv, message) => {
    await expect(cmd.run(argv as string[])).rejects.toThrow(UsageError);
    await expect(cmd.run(argv as string[])).rejects.toThrow(message as RegExp);
  });

  it('names an unreachable Redis instead of waiting for it', async () => {
    const t0 = Date.now();
    await expect(queue.run(['status', '--queue', 'redis://127.0.0.1:1'])).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED.*is redis-server running there/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
