/**
 * Headers sent with every response: no MIME sniffing, no framing, no referrer
 * leaks, and a CSP that allows nothing (JSON responses need nothing; the docs
 * page sets its own). Fastify never sends `x-powered-by`.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
};
