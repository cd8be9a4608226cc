/** --endpoint / --key flags shared by the commands that talk to a running gateway. */
import { Option } from 'nest-commander';
import { CommandRunner } from 'nest-commander';
import type { Target } from '../support/gateway-client';

export abstract class GatewayCommand extends CommandRunner {
  @Option({
    flags: '-e, --endpoint <url>',
    description: 'gateway URL (CORTEX_ENDPOINT, default http://127.0.0.1:31313)',
  })
  parseEndpoint(raw: string): string {
    return raw;
  }

  @Option({ flags: '-k, --key <key>', description: 'API key (CORTEX_API_KEY)' })
  parseKey(raw: string): string {
    return raw;
  }

  protected target(flags: Target): Target {
    return { endpoint: flags.endpoint, key: flags.key };
  }
}
