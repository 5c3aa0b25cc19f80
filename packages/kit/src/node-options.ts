/**
 * The V8 settings every skyros process runs with. They reach a process through
 * NODE_OPTIONS: the launcher sets it for the processes it starts, and the
 * container image sets the same value (deploy/Dockerfile; a test keeps the two
 * alike).
 *
 * Why a young generation of 8 MB per semi-space, not V8's 32 MB: a request's
 * objects (the HTTP/2 stream, postgres.js queries and their promises) are still
 * alive at the minor collection that follows, so a fifth of each semi-space
 * survives it and is copied, and the pause grows with the space. On two busy
 * cores the services' minor pauses averaged 12 to 16 ms (up to 47 ms), and
 * each one stalled every request behind it: the p99 of creating orders at half
 * of the peak rate was 47 to 76 ms in seven runs. With 8 MB the pauses averaged
 * 7 to 8 ms and the p99 was 21 to 60 ms in nine runs (eight under 50), with no
 * loss of peak rate (`npm run bench`, scenario c). The cost is more frequent minor
 * collections, which the measured throughput did not show.
 */
export const SERVICE_NODE_OPTIONS: readonly string[] = ["--max-semi-space-size=8"];

/**
 * NODE_OPTIONS for a service process: ours first, then the operator's own, so
 * that an operator's value of the same flag wins (V8 takes the last one).
 */
export function serviceNodeOptions(operatorOptions: string | undefined): string {
  return [...SERVICE_NODE_OPTIONS, operatorOptions ?? ""].join(" ").trim();
}
