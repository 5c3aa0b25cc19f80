/**
 * A TCP relay for tests of what happens between a service and its database:
 * open, cut (nothing listens and every connection through it is closed),
 * frozen (bytes are held, not passed: a server that accepts but never
 * answers), or holding back the client's first chunk that matches a pattern.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpRelay {
  /** Listens (again) on the relay's port. */
  open(): Promise<void>;
  cut(): Promise<void>;
  freeze(): void;
  thaw(): void;
  /** Connections through the relay now open (each is two sockets: client and upstream). */
  readonly openConnections: number;
  /**
   * Holds the next chunk a client sends that contains `text` for `ms` before
   * passing it on (with what follows it); resolves when the hold begins.
   */
  holdNext(text: string, ms: number): Promise<void>;
}

/** A relay from 127.0.0.1:`port` to `target`; call `open` to start it. */
export function createTcpRelay(port: number, target: { host: string; port: number }): TcpRelay {
  let server: Server | undefined;
  let frozen = false;
  let hold: { text: string; ms: number; began: () => void } | undefined;
  const sockets = new Set<Socket>();
  // While frozen, bytes wait here instead of passing: the sockets keep
  // reading, so a peer that closes is still seen, as a hung server's kernel
  // would see it.
  const held: { to: Socket; chunk: Buffer }[] = [];
  const pass = (to: Socket, chunk: Buffer) => {
    if (frozen) held.push({ to, chunk });
    else to.write(chunk);
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const relay = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    upstream.on("data", (chunk: Buffer) => pass(client, chunk));
    client.on("data", (chunk: Buffer) => {
      if (hold !== undefined && chunk.includes(hold.text)) {
        const { ms, began } = hold;
        hold = undefined;
        client.pause();
        began();
        setTimeout(() => {
          pass(upstream, chunk);
          client.resume();
        }, ms);
        return;
      }
      pass(upstream, chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  };
  return {
    get openConnections() {
      return sockets.size / 2;
    },
    open: () =>
      new Promise<void>((resolve) => {
        server = createServer(relay);
        server.listen(port, "127.0.0.1", resolve);
      }),
    cut: () =>
      new Promise<void>((resolve) => {
        if (server === undefined) return resolve();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    holdNext: (text, ms) =>
      new Promise<void>((began) => {
        hold = { text, ms, began };
      }),
  };
}
