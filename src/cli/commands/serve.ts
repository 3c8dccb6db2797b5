import type { Command } from 'commander';
import { createLogger } from '../logger.ts';
import { loadConfig, portArg, resolveDataDir, resolvePort } from '../options.ts';
import { reportFailure } from '../failure.ts';
import { startService } from '../service.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the service: webhooks, journal, worker, API (paper trading, no external service needed)')
    .option('--config <file>', 'configuration file, JSON or YAML (env HEDGEHOOK_CONFIG)')
    .option('--host <host>', 'address to listen on (env HEDGEHOOK_HOST, default 127.0.0.1)')
    .option('--port <n>', 'port to listen on, 0 picks a free one (env HEDGEHOOK_PORT, default 8080)', portArg)
    .option('--data-dir <dir>', 'where the journal and secrets live (env HEDGEHOOK_DATA_DIR, default ./data)')
    .action(async (opts: { config?: string; host?: string; port?: number; dataDir?: string }) => {
      const env = process.env;
      const config = loadConfig(opts.config, env);
      const logger = createLogger(config.logLevel);
      const host = opts.host ?? env.HEDGEHOOK_HOST ?? config.server.host;
      const service = await startService({
        config,
        dataDir: resolveDataDir(opts.dataDir, config, env),
        host,
        port: resolvePort(opts.port, config, env),
        logger,
        announce: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`listening on ${service.url}\n`);

      let signals = 0;
      const shutdown = (signal: string, code = 0) => {
        if (++signals > 1) process.exit(1);
        logger.info({ signal }, 'shutting down: draining webhooks and in-flight work');
        service.stop().then(
          () => process.exit(code),
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // Venues that cannot be reached are tried again (the service keeps journaling); a
      // mistake in the configuration, or a journal that cannot be read, ends the process as
      // it did before the listener opened first: one line, exit code 2 for a mistake.
      service.ready.catch((err: unknown) => {
        if (signals > 0) return;
        shutdown('startup failure', reportFailure(err));
      });
    });
}
