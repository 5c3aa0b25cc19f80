/**
 * A minimal REST front for scenario (a): the floor of what the gateway could
 * cost a product read in this design. It serves `GET /v1/products/{id}` on bare
 * node:http, makes the same gRPC call with the kit's client, writes the JSON
 * with the gateway's own compiled encoder and sends the gateway's response
 * headers (a fresh request id among them). It has no framework, hooks,
 * routing table, token check, CORS, rate limit, metrics or request context.
 * The benchmark runs it as a process of its own, so its CPU per read next to
 * the gateway's shows what any change to the gateway's HTTP stack and
 * features could win, and its rate what (a) would reach with such a front.
 *
 * Not a server for anything but the benchmark: other paths get a 404, and a
 * failed call the gateway's status for its gRPC code, with only the code and
 * message in the body.
 *
 *   FRONT_PRODUCT_URL=http://… SKYROS_SERVICE_CREDENTIAL=… node bench/minimal-front.ts
 * It prints `{"port": <port>}` on standard output once it listens.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { createRegistry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  file_skyros_product_v1_product,
  ProductService,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { createGrpcHttp2Transport } from "@skyros/kit/grpc-http2-transport";
import { REQUEST_ID_HEADER } from "@skyros/kit/request-context";
import { httpStatusFromCode } from "../services/gateway/src/http-status.ts";
import { createJsonEncoders } from "../services/gateway/src/json-encoder.ts";
import { SECURITY_HEADERS } from "../services/gateway/src/security-headers.ts";

const productUrl = process.env.FRONT_PRODUCT_URL;
if (productUrl === undefined) throw new Error("FRONT_PRODUCT_URL is required");

const PREFIX = "/v1/products/";
const getProduct = ProductService.method.getProduct;
const encode = createJsonEncoders(createRegistry(file_skyros_product_v1_product))(getProduct.output);
const transport = createGrpcHttp2Transport({
  baseUrl: productUrl,
  credential: process.env.SKYROS_SERVICE_CREDENTIAL,
  defaultTimeoutMs: 5_000,
});

function answer(response: http.ServerResponse, requestId: string, status: number, body: string): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    [REQUEST_ID_HEADER]: requestId,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const requestId = randomUUID();
  const url = request.url ?? "";
  if (request.method !== "GET" || !url.startsWith(PREFIX) || url.indexOf("/", PREFIX.length) !== -1) {
    answer(
      response,
      requestId,
      404,
      JSON.stringify({ code: Code.NotFound, message: "not found", details: [] }),
    );
    return;
  }
  // Ids are UUIDs: the product service refuses anything else.
  const id = url.slice(PREFIX.length);
  transport.unary(getProduct, undefined, undefined, { [REQUEST_ID_HEADER]: requestId }, { id }).then(
    (result) => answer(response, requestId, 200, encode(result.message)),
    (error: unknown) => {
      const { code, message } = ConnectError.from(error);
      answer(response, requestId, httpStatusFromCode(code), JSON.stringify({ code, message, details: [] }));
    },
  );
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" ? address?.port : 0 })}\n`);
});
process.once("SIGTERM", () => {
  transport.close();
  server.close();
  server.closeAllConnections();
});
