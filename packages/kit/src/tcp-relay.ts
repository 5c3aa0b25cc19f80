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
  const track = (socket: Socket) => {
    sockets.add(socket);
    if (frozen) socket.pause();
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const relay = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      if (hold !== undefined && chunk.includes(hold.text)) {
        const { ms, began } = hold;
        hold = undefined;
        client.pause();
        began();
        setTimeout(() => {
          upstream.write(chunk);
          client.resume();
        }, ms);
        return;
      }
      upstream.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  };
  return {
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
      for (const socket of sockets) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const socket of sockets) socket.resume();
    },
    holdNext: (text, ms) =>
      new Promise<void>((began) => {
        hold = { text, ms, began };
      }),
  };
}
