/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers too
 * large, a malformed request line, a request that never finished arriving):
 * answered on the raw socket, still as a google.rpc.Status with the headers
 * every response carries, then the connection is closed.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { Code } from "@connectrpc/connect";
import { REQUEST_ID_HEADER } from "@skyros/kit/request-context";
import { SECURITY_HEADERS } from "./security-headers.ts";

/** The status and message for a parser error (by its code). */
export function clientErrorStatus(code: string | undefined): { status: number; message: string } {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { status: 408, message: "the request took too long to arrive" };
  if (code === "HPE_HEADER_OVERFLOW") return { status: 431, message: "the request headers are too large" };
  return { status: 400, message: "the request is not valid HTTP/1.1" };
}

/** Fastify's clientErrorHandler. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const { status, message } = clientErrorStatus(error.code);
  const body = JSON.stringify({ code: Code.InvalidArgument, message, details: [] });
  const headers: Record<string, string | number> = {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    connection: "close",
    [REQUEST_ID_HEADER]: randomUUID(),
    ...SECURITY_HEADERS,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n");
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n\r\n${body}`);
  socket.destroy(error);
}
