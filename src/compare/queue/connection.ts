/**
 * The Redis side of queue mode: URL checks, one ioredis connection per process (BullMQ duplicates
 * it for its blocking reads), and the names of the two BullMQ queues of a deployment — units
 * (teacher, method × seed × fold, report) and encoding shards. Shards have their own queue so a
 * unit waiting for its shards never holds the slot a shard needs (no deadlock with one worker).
 */
import { Redis } from 'ioredis';

export const DEFAULT_QUEUE_NAME = 'optical';

export class QueueUrlError extends RangeError {
  override name = 'QueueUrlError';
}

/** Checks a `redis://[user:password@]host:port[/db]` URL (rediss:// for TLS). */
export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue must be a URL like redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueUrlError(`--queue must start with redis:// or rediss://, got '${url}'`);
  if (!u.hostname) throw new QueueUrlError(`--queue '${url}' names no host`);
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) throw new QueueUrlError(`--queue '${url}': the path must be a database number (e.g. /0), got '${u.pathname}'`);
  return url;
}

/** The URL without its password, for logs and manifests. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Checks a queue name (it becomes part of Redis keys and BullMQ forbids ':'). */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new QueueUrlError(`--queue-name may only contain letters, digits, '.', '_' and '-', got '${name}'`);
  return name;
}

export function queueNames(name: string): { units: string; shards: string } {
  return { units: name, shards: `${name}-shards` };
}

/**
 * Connects within `timeoutMs` or throws naming the server; afterwards the connection retries
 * forever (a Redis restart pauses the work, it does not end it).
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  checkQueueUrl(url);
  let lastError = '';
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
  client.on('error', (err: Error) => { lastError = err.message; });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs); }),
    ]);
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${lastError || (err as Error).message} (is redis-server running there and reachable from this machine?)`);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/**
 * Sends a BullMQ object's connection errors (Redis restarting, a network blip) to `log` at most
 * every 30 s instead of letting BullMQ print every retry; the connection keeps retrying.
 */
export function quietErrors<T extends { on(event: 'error', listener: (err: Error) => void): unknown }>(emitter: T, log: (line: string) => void): T {
  let last = 0;
  emitter.on('error', (err: Error) => {
    if (Date.now() - last > 30_000) log(`Redis connection problem (retrying): ${err.message}`);
    last = Date.now();
  });
  return emitter;
}
