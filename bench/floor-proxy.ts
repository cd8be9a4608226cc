/**
 * The least a Node proxy does per request, as bench:peers' floor for Node gateways: node:http in,
 * the body parsed and serialised once, undici to the upstream, the answer parsed (for its usage)
 * and sent back. No routing, auth, limits, logs or metrics. Run as `node floor-proxy.js UPSTREAM`.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2]!, { connections: 64, keepAliveTimeout: 60_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      const up = await pool.request({
        path: req.url!,
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
        headersTimeout: 600_000,
      });
      const text = await up.body.text();
      JSON.parse(text);
      res.writeHead(up.statusCode, { 'content-type': 'application/json' });
      res.end(text);
    })().catch((err: Error) => {
      res.writeHead(502);
      res.end(err.message);
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${a.port}`);
});
