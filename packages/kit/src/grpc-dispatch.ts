/**
 * The routing half of our gRPC server: the route table that `routes` fills,
 * worked out once per method at start-up, and the checks that decide whether a
 * stream is a call we can take (gRPC PROTOCOL-HTTP2) before a ServerCall
 * handles it.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type MethodImpl, type ServiceImpl } from "@connectrpc/connect";
import { type CallOptions, type Handler, RESPONSE_HEADERS, type Route, ServerCall } from "./grpc-call.ts";
import { errorTrailers } from "./grpc-status.ts";
import { firstValue } from "./http2-headers.ts";
import type { ServerStream } from "./http2-server-connection.ts";
import { isInternalMethod } from "./service-credential.ts";

export type { CallOptions, Route } from "./grpc-call.ts";

/** What `routes` may call: Connect's ConnectRouter registration methods, so service code is unchanged. */
export interface GrpcRouter {
  service<T extends DescService>(service: T, implementation: Partial<ServiceImpl<T>>): GrpcRouter;
  rpc<M extends DescMethod>(method: M, implementation: MethodImpl<M>): GrpcRouter;
}

/** A router that records each method's route under its HTTP/2 path, `/package.Service/Method`. */
export function createRouter(routes: Map<string, Route>): GrpcRouter {
  const router: GrpcRouter = {
    service(service, implementation) {
      for (const method of service.methods) {
        const impl = (implementation as Record<string, unknown>)[method.localName];
        // Methods left out answer Unimplemented, as the path is then unknown.
        if (typeof impl === "function")
          router.rpc(method, impl.bind(implementation) as MethodImpl<typeof method>);
      }
      return router;
    },
    rpc(method, implementation) {
      if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
        throw new Error(`${method.parent.typeName}/${method.name}: client streaming is not supported`);
      }
      routes.set(`/${method.parent.typeName}/${method.name}`, {
        method,
        procedure: `${method.parent.typeName}/${method.name}`,
        internal: isInternalMethod(method),
        handler: implementation as Handler,
      });
      return router;
    },
  };
  return router;
}

/** `application/grpc`, `application/grpc+proto`, with or without parameters; not grpc-web or JSON. */
function isGrpcProto(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase();
  return type === "application/grpc" || type === "application/grpc+proto";
}

function trailersOnly(stream: ServerStream, error: ConnectError): void {
  stream.respond({ ...RESPONSE_HEADERS, ...errorTrailers(error) }, true);
}

/**
 * Handles one HTTP/2 stream as a gRPC call. A stream answered here at once ends
 * with its answer; whatever body follows is dropped by the connection, which
 * still credits it to flow control, so the client is not left blocked.
 */
export function dispatch(options: CallOptions, stream: ServerStream): void {
  const headers = stream.headers;
  if (headers[":method"] !== "POST") {
    stream.respond({ ":status": 405, allow: "POST" }, true);
    return;
  }
  // The spec asks for 415 here, so that a non-gRPC client does not read a 200 as success.
  if (!isGrpcProto(firstValue(headers["content-type"]))) {
    stream.respond({ ":status": 415 }, true);
    return;
  }
  const path = firstValue(headers[":path"]) ?? "";
  const route = options.routes.get(path);
  if (route === undefined) {
    trailersOnly(stream, new ConnectError(`method ${path} is not implemented`, Code.Unimplemented));
    return;
  }
  const encoding = firstValue(headers["grpc-encoding"]);
  if (encoding !== undefined && encoding !== "identity" && encoding !== "gzip") {
    trailersOnly(stream, new ConnectError(`grpc-encoding ${encoding} is not supported`, Code.Unimplemented));
    return;
  }
  new ServerCall(options, route, stream);
}
