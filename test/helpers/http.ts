// Raw HTTP for tests that need what fetch will not send (any Host header), and reading a page's policy and links.

/** Sends one raw HTTP/1.1 GET over a real socket, with any Host header; resolves with the response's head. */
export async function rawHead(base: string, path: string, hostHeader: string): Promise<string> {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  let received = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(base).port),
    socket: {
      data(_socket, chunk) {
        received += chunk.toString();
        const end = received.indexOf("\r\n\r\n");
        if (end >= 0) resolve(received.slice(0, end));
      },
      close() {
        reject(new Error(`closed before a response head: ${JSON.stringify(received)}`));
      },
      error(_socket, error) {
        reject(error);
      },
    },
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
  try {
    return await promise;
  } finally {
    socket.end();
  }
}

/** The status code of a response head. */
export const statusOf = (head: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);

/** A Content-Security-Policy header as directive → its sources. */
export function parseCsp(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** Every src= and href= value in the markup. */
export function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((match) => match[1]!);
}
