import net from 'node:net';

/** Asks the kernel for a free TCP port on loopback. Another process could take it before we bind,
 * but on a bench machine that race is rare enough not to matter. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
