/**
 * Structured JSON logs (pino). Every line written while handling a request
 * carries its request id; secrets are redacted wherever they appear.
 */
import { pino } from "pino";
import { currentRequestId } from "./request-context.ts";

export type Logger = pino.Logger;

const redactedPaths = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "refreshToken",
  "*.refreshToken",
  "accessToken",
  "*.accessToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "credential",
  "*.credential",
];

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Where to write; standard output by default. */
  readonly destination?: pino.DestinationStream;
}

/** Creates the logger of a service. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      redact: { paths: redactedPaths, censor: "[redacted]" },
      mixin() {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
