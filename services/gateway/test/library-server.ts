/**
 * The test-only LibraryService, served over real gRPC: each handler answers
 * with what it received, so tests can see exactly what the gateway sent.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { type GrpcServer, startGrpcServer } from "@skyros/kit/grpc-server";
import { ServingStatus } from "@skyros/kit/health";
import { TEST_SERVICE_CREDENTIAL, testLogger } from "@skyros/kit/testing";
import { BookSchema, LibraryService } from "./gen/skyros/gatewaytest/v1/library_pb.js";

/** Starts the library service on a free port, SERVING. */
export async function startLibraryServer(): Promise<GrpcServer> {
  const server = await startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    logger: testLogger("library"),
    serviceCredential: TEST_SERVICE_CREDENTIAL,
    routes: (router) =>
      router.service(LibraryService, {
        getBook: ({ name }) => create(BookSchema, { id: name }),
        createBook: ({ parent, book = create(BookSchema), requestNote }) => {
          book.shelf = parent;
          book.id = requestNote;
          return book;
        },
        updateBook: ({ book = create(BookSchema), updateMask }) => {
          book.title = `${book.title}|${updateMask?.paths.join(",")}`;
          return book;
        },
        putBook: (book) => book,
        deleteBook: () => ({}),
        listBooks: (request) => ({ titles: ["first"], echo: request }),
        listBookTitles: ({ shelf }) => ({ titles: [shelf, "second"], nextPageToken: "ignored" }),
        returnBook: ({ shelf, id, condition }) => ({ shelf, id, title: condition }),
        readFile: ({ path }) => ({ path }),
        fail: ({ code, message, badField, reason }) => {
          if (code === 0) return {};
          const details: ConstructorParameters<typeof ConnectError>[3] = [];
          if (badField !== "") {
            details.push({
              desc: BadRequestSchema,
              value: { fieldViolations: [{ field: badField, description: message }] },
            });
          }
          if (reason !== "") details.push({ desc: ErrorInfoSchema, value: { reason, domain: "skyros" } });
          throw new ConnectError(message, code as Code, undefined, details);
        },
        sleep: async ({ millis }, context) => {
          await sleep(millis, undefined, { signal: context.signal });
          return {};
        },
        whoAmI: (_request, context) => ({
          authorization: context.requestHeader.get("authorization") ?? "",
          requestId: context.requestHeader.get("x-request-id") ?? "",
          idempotencyKey: context.requestHeader.get("idempotency-key") ?? "",
        }),
        internal: () => {
          throw new ConnectError("never through the gateway", Code.Internal);
        },
      }),
  });
  server.health.setAll(ServingStatus.SERVING);
  return server;
}
