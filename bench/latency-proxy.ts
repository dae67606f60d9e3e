/**
 * A TCP proxy that adds round-trip time without netem: every chunk is held for half the RTT in
 * each direction, in order. Listens on one loopback address per target.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface ProxyRoute {
  listenAddress: string;
  listenPort: number;
  targetAddress: string;
  targetPort: number;
}

/** Writes what `from` sends to `to`, each chunk `delayMs` after it arrived; equal delays keep the order. */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('close', () => setTimeout(() => to.destroy(), delayMs));
  from.on('error', () => {});
}

export async function startLatencyProxies(routes: ProxyRoute[], rttMs: number): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  for (const route of routes) {
    // Half-open sockets: each side's FIN travels through the delay like its data, as on a network,
    // instead of Node answering a FIN at once.
    const server = createServer({ allowHalfOpen: true }, (client) => {
      client.setNoDelay(true);
      const upstream = createConnection({ host: route.targetAddress, port: route.targetPort, allowHalfOpen: true });
      upstream.setNoDelay(true);
      track(client);
      track(upstream);
      delayedPipe(client, upstream, rttMs / 2);
      delayedPipe(upstream, client, rttMs / 2);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(route.listenPort, route.listenAddress, () => resolve());
    });
    servers.push(server);
  }
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/**
 * The round-trip time the proxy really adds: the median of 50 one-byte echoes through a route of its
 * own to a local echo server. Its timers fire up to a millisecond late each way, so it is a little
 * over `rttMs`; the bench prints the floor at both.
 */
export async function measureProxyRtt(rttMs: number, address = '127.0.0.1'): Promise<number> {
  const echo = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (d) => socket.write(d));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => echo.listen(0, address, () => resolve()));
  const echoPort = (echo.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, address, () => resolve()));
  const proxyPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const proxy = await startLatencyProxies([{ listenAddress: address, listenPort: proxyPort, targetAddress: address, targetPort: echoPort }], rttMs);
  const client = createConnection({ host: address, port: proxyPort });
  client.setNoDelay(true);
  try {
    await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      await new Promise((resolve) => {
        client.once('data', resolve);
        client.write('x');
      });
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return samples[samples.length >> 1]!;
  } finally {
    client.destroy();
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  }
}
