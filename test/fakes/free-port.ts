/** A TCP port free on 127.0.0.1 right now, for tools that need one on their command line (tests and benchmarks). */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}
