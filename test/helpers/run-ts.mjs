// Runs a TypeScript module of the repository in a plain child process: `node run-ts.mjs FILE.ts ARGS…`.
// The module sees process.argv = [node, FILE.ts, ARGS…] (so src/cli/main.ts runs as the `optical`
// command) and, when it exports `main`, main(...ARGS) is awaited. Vite (vitest's own dependency)
// transpiles the sources on the fly, so tests that need a real process (a CLI exit code, a process
// killed with SIGKILL) run the current src/, not a possibly stale dist/.
import { createServer, createServerModuleRunner } from 'vite';

const [entry, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], entry, ...args];
// No file watcher, no websocket: nothing keeps the process alive once the module's work is done,
// and the runner stays connected for the module's own lazy imports.
const server = await createServer({
  configFile: false, logLevel: 'silent', appType: 'custom',
  server: { middlewareMode: true, ws: false, watch: null, hmr: false },
  optimizeDeps: { noDiscovery: true, include: [] },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
const module = await runner.import(entry);
if (typeof module.main === 'function') await module.main(...args);
