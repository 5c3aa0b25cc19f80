/**
 * How the gateway reads request bodies: JSON, sent as such (or as a `+json`
 * type, or with no content type, as grpc-gateway reads them), in UTF-8 as
 * RFC 8259 requires. Anything else is refused before it reaches a route.
 */
import { Code } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import { GatewayError } from "./error-body.ts";
import { describeJsonError, parseJsonBody } from "./json-body.ts";
import { findDuplicateKey } from "./json-duplicate-keys.ts";
import { jsonNestingError } from "./json-nesting.ts";

/** application/json, and its structured-syntax kin such as application/merge-patch+json. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)/i;

// Fatal: bytes that are not UTF-8 are refused, not turned into U+FFFD and
// stored as a name nobody typed.
const utf8 = new TextDecoder("utf-8", { fatal: true });

const malformed = (why: string) => new GatewayError(Code.InvalidArgument, `malformed JSON body: ${why}`);

const unsupported = (what: string, instead: string) =>
  new GatewayError(
    Code.InvalidArgument,
    `${describeJsonError(what.slice(0, 100))} is not supported; send ${instead}`,
    {
      httpStatus: 415,
    },
  );

/** The body of a request that declared `contentType` (undefined: none), as the routes take it. */
export function readJsonBody(bytes: Buffer, contentType: string | undefined): unknown {
  const charset = contentType === undefined ? undefined : CHARSET_PARAMETER.exec(contentType)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw unsupported(`charset ${charset}`, "UTF-8");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed("not valid UTF-8");
  }
  if (text === "") return undefined;
  const tooLarge = jsonNestingError(text);
  if (tooLarge !== undefined) throw malformed(tooLarge);
  let parsed: unknown;
  try {
    parsed = parseJsonBody(text);
  } catch (error) {
    throw malformed(describeJsonError(error));
  }
  const repeated = findDuplicateKey(text);
  if (repeated !== undefined)
    throw malformed(`duplicate field ${describeJsonError(JSON.stringify(repeated))}`);
  return parsed;
}

/** Replaces Fastify's body parsers with `readJsonBody`; any other content type is a 415. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body, done) => {
    const type = request.headers["content-type"];
    try {
      if (type !== undefined && !JSON_TYPE.test(type))
        throw unsupported(`content-type ${type}`, "application/json");
      done(null, readJsonBody(body as Buffer, type));
    } catch (error) {
      done(error as Error);
    }
  });
}
