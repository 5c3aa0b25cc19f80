/**
 * A lean HTTP/1.1 client for load generation: keep-alive connections on raw
 * sockets, one request at a time on each, the rest queued. The paced load
 * (paced-load.ts) sends through it instead of node:http's Agent.
 *
 * Why: the load generator runs on the same cores as the system it measures,
 * so every microsecond it spends is taken from the system. node:http's client
 * builds a ClientRequest, an IncomingMessage and their streams per request;
 * in the paced runs of create order it cost 150 to 260 µs of CPU per request,
 * four times autocannon's at full load (which writes prepared bytes and parses
 * only what it needs), and took a tenth of a core from the runs whose tail is
 * measured. This client does what autocannon does: it writes each request as
 * one buffer and reads only the status, the body's length and the connection
 * header of each answer.
 *
 * It supports what the benchmark's servers send: bodies with Content-Length or
 * chunked, and `connection: close`. It is not a general HTTP client.
 */
import { connect, type Socket } from "node:net";

export interface Http1Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface Http1Pool {
  /** Sends a request; resolves with the status code of its answer, rejects on a failed connection or timeout. */
  send(request: Http1Request): Promise<number>;
  /** Closes every connection; requests queued or in flight are rejected. */
  close(): void;
}

export interface Http1PoolOptions {
  /** http://host:port */
  readonly url: string;
  /** Most connections, and so most requests in flight. */
  readonly connections: number;
  /** How long a request may wait for its whole answer once sent. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly bytes: Buffer;
  readonly resolve: (status: number) => void;
  readonly reject: (error: Error) => void;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** What is known of an answer once its head has arrived. */
interface Head {
  readonly status: number;
  /** Body bytes still expected; undefined when chunked. */
  readonly contentLength: number | undefined;
  readonly close: boolean;
}

/** Parses a response head (status line and headers, without the blank line). */
export function parseResponseHead(head: string): Head {
  const lines = head.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (match === null) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  let contentLength: number | undefined;
  let chunked = false;
  let close = lines[0]?.startsWith("HTTP/1.0") ?? false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === "content-length") contentLength = Number(value);
    else if (name === "transfer-encoding")
      chunked = value.split(",").some((coding) => coding.trim() === "chunked");
    else if (name === "connection") close = value === "close";
  }
  const status = Number(match[1]);
  // 1xx, 204 and 304 answers have no body.
  const bodyless = status < 200 || status === 204 || status === 304;
  return {
    status,
    contentLength: bodyless ? 0 : chunked ? undefined : (contentLength ?? 0),
    close,
  };
}

/**
 * How many bytes of `data`, from `start`, a complete chunked body takes
 * (chunks, the last empty one and its trailers); undefined when not all there.
 */
export function chunkedBodyLength(data: Buffer, start: number): number | undefined {
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.toString("latin1", at, lineEnd).split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size < 0) throw new Error("malformed chunk size");
    if (size === 0) {
      // The last chunk's line, then trailers if any, then an empty line.
      const end = data.indexOf(HEADER_END, lineEnd);
      return end < 0 ? undefined : end + 4 - start;
    }
    at = lineEnd + 2 + size + 2;
    if (at > data.length) return undefined;
    if (data[at - 2] !== 13 || data[at - 1] !== 10) throw new Error("a chunk does not end with CRLF");
  }
}

/** The bytes of a request, with Host and Content-Length set. */
export function requestBytes(host: string, request: Http1Request): Buffer {
  const body = typeof request.body === "string" ? Buffer.from(request.body) : request.body;
  let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) head += `${name}: ${value}\r\n`;
  if (body !== undefined) head += `content-length: ${body.length}\r\n`;
  head += "\r\n";
  return body === undefined
    ? Buffer.from(head, "latin1")
    : Buffer.concat([Buffer.from(head, "latin1"), body]);
}

/** A pool of keep-alive connections to one server. */
export function createHttp1Pool(options: Http1PoolOptions): Http1Pool {
  const target = new URL(options.url);
  if (target.protocol !== "http:") throw new Error(`only http: URLs are supported, not ${options.url}`);
  const port = Number(target.port || 80);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queue: Pending[] = [];
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  let closed = false;

  class Connection {
    private readonly socket: Socket;
    private current: Pending | undefined;
    private buffer: Buffer = Buffer.alloc(0);
    private head: Head | undefined;
    private bodyStart = 0;
    private timer: NodeJS.Timeout | undefined;
    private dead = false;

    constructor() {
      all.add(this);
      this.socket = connect({ host: target.hostname, port, noDelay: true });
      this.socket.on("data", (data: Buffer) => this.onData(data));
      this.socket.on("error", (error) => this.fail(error));
      this.socket.on("close", () => this.fail(new Error("the server closed the connection")));
    }

    run(pending: Pending): void {
      this.current = pending;
      this.timer = setTimeout(
        () => this.fail(new Error(`no complete answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.write(pending.bytes);
    }

    destroy(): void {
      this.socket.destroy();
    }

    private onData(data: Buffer): void {
      this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
      try {
        this.parse();
      } catch (error) {
        this.fail(error as Error);
      }
    }

    private parse(): void {
      if (this.current === undefined) throw new Error("the server sent data with no request in flight");
      if (this.head === undefined) {
        const end = this.buffer.indexOf(HEADER_END);
        if (end < 0) return;
        this.head = parseResponseHead(this.buffer.toString("latin1", 0, end));
        this.bodyStart = end + 4;
      }
      const bodyLength = this.head.contentLength ?? chunkedBodyLength(this.buffer, this.bodyStart);
      if (bodyLength === undefined || this.buffer.length < this.bodyStart + bodyLength) return;
      if (this.buffer.length > this.bodyStart + bodyLength) {
        throw new Error("the server sent more than the answer to the request in flight");
      }
      const { status, close } = this.head;
      const done = this.current;
      clearTimeout(this.timer);
      this.current = undefined;
      this.head = undefined;
      this.buffer = Buffer.alloc(0);
      if (close) this.retire();
      else release(this);
      done.resolve(status);
    }

    /** The connection is not used again; a request in flight fails with `error`. */
    private fail(error: Error): void {
      const pending = this.current;
      this.current = undefined;
      clearTimeout(this.timer);
      this.retire();
      pending?.reject(error);
    }

    private retire(): void {
      if (this.dead) return;
      this.dead = true;
      all.delete(this);
      const at = idle.indexOf(this);
      if (at >= 0) idle.splice(at, 1);
      this.socket.destroy();
      dispatch();
    }
  }

  /** A connection whose answer is complete takes the next queued request, or waits. */
  const release = (connection: Connection) => {
    if (closed) return connection.destroy();
    const next = queue.shift();
    if (next === undefined) idle.push(connection);
    else connection.run(next);
  };

  /** Starts queued requests on idle or new connections. */
  const dispatch = () => {
    while (queue.length > 0 && !closed) {
      const connection = idle.pop() ?? (all.size < options.connections ? new Connection() : undefined);
      if (connection === undefined) return;
      // biome-ignore lint/style/noNonNullAssertion: the queue is not empty
      connection.run(queue.shift()!);
    }
  };

  return {
    send(request) {
      if (closed) return Promise.reject(new Error("the pool is closed"));
      return new Promise<number>((resolve, reject) => {
        queue.push({ bytes: requestBytes(target.host, request), resolve, reject });
        dispatch();
      });
    },
    close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error("the pool is closed"));
      idle.length = 0;
      // Answers still in flight fail as their connections close.
      for (const connection of all) connection.destroy();
    },
  };
}
