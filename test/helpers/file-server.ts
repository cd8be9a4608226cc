/** A tiny HTTP(S) file server on loopback with Range support, standing in for Hugging Face. */
import { createReadStream, statSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function serveFile(
  file: string,
  tls?: { key: string; cert: string },
  host = '127.0.0.1',
): Promise<FileServer> {
  return serveFiles(() => ({ file }), tls, host);
}

/**
 * Serves the file `pick` names for each path; with `stallAfter`, a GET sends that many bytes and
 * then nothing more (a stalled download).
 */
export async function serveFiles(
  pick: (path: string) => { file: string; stallAfter?: number },
  tls?: { key: string; cert: string },
  host = '127.0.0.1',
): Promise<FileServer> {
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const { file, stallAfter } = pick(req.url ?? '/');
    const size = statSync(file).size;
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Number(m[2]) : size - 1;
    res.writeHead(m ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') res.end();
    else if (stallAfter !== undefined) {
      createReadStream(file, { start, end: Math.min(end, start + stallAfter - 1) }).on('data', (d) => res.write(d));
    } else createReadStream(file, { start, end }).pipe(res);
  };
  const server = tls ? createHttps(tls, handler) : createHttp(handler);
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
