/**
 * The /docs page: ReDoc rendering /openapi.json, every file served by the
 * gateway itself from the installed redoc package (no CDN, and a CSP that
 * allows nothing from elsewhere).
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

/** The CSP of the docs page: ReDoc needs inline styles and a blob: worker, nothing remote. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// A separate script, not an inline one, so the CSP can forbid inline scripts.
const INIT_SCRIPT = `Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));\n`;

/** Registers GET /docs, its script and the ReDoc bundle (read once, at start-up). */
export function registerDocs(app: FastifyInstance, title: string): void {
  const bundle = readFileSync(new URL(import.meta.resolve("redoc/bundles/redoc.standalone.js")));
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="redoc"></div>
<script src="/docs/redoc.standalone.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
  app.get("/docs", (_request, reply) => {
    reply.header("content-security-policy", DOCS_CSP).type("text/html; charset=utf-8").send(page);
  });
  app.get("/docs/init.js", (_request, reply) => {
    reply.type("text/javascript; charset=utf-8").send(INIT_SCRIPT);
  });
  app.get("/docs/redoc.standalone.js", (_request, reply) => {
    reply
      .header("cache-control", "public, max-age=86400")
      .type("text/javascript; charset=utf-8")
      .send(bundle);
  });
}
