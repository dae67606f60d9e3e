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
    const server = createServer((client) => {
      client.setNoDelay(true);
      const upstream = createConnection({ host: route.targetAddress, port: route.targetPort });
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
