/**
 * Nest's console logger without the bootstrap chatter (every module and route mapped at start):
 * cortex's own log lines, warnings and errors are kept.
 */
import { ConsoleLogger } from '@nestjs/common';

const NOISY = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export class QuietLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && NOISY.has(context)) return;
    super.log(message, ...(rest as [string]));
  }
}
