/**
 * Fake neurons (test/fakes) in a child process, so their CPU cost is not the benchmark's or the
 * gateway's, and gateway configs that point at them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { spawnFakeFleet as startFleet } from '../test/fakes/fake-fleet';

/** cortex.toml + models.toml in `dir` for a gateway over `urls`; returns the cortex.toml path. */
export function writeGatewayConfig(dir: string, urls: string[], models: string[], extra = '', modelMb = 10): string {
  writeFileSync(
    join(dir, 'models.toml'),
    models.map((id) => `[[models]]\nid = "${id}"\nsource = "${id}.gguf"\nvram_mb = ${modelMb}\n`).join('\n'),
  );
  const neurons = urls.map((u, i) => `[[neurons]]\nname = "n${String(i).padStart(3, '0')}"\nendpoint = "${u}"\n`);
  const file = join(dir, 'cortex.toml');
  writeFileSync(
    file,
    `models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n${extra}\n${neurons.join('\n')}`,
  );
  return file;
}
