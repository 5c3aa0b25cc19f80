/** Latencies in 10 µs buckets up to 10 s: exact enough for percentiles, fixed in size. */

const BUCKET_MS = 0.01;
const BUCKETS = 1_000_000;

export interface LatencyHistogram {
  record(ms: number): void;
  /** The latency (ms) below which `p` percent of the recorded ones fall. */
  percentile(p: number): number;
  readonly count: number;
}

/** An empty histogram. */
export function createLatencyHistogram(): LatencyHistogram {
  const counts = new Uint32Array(BUCKETS);
  let count = 0;
  return {
    record(ms) {
      counts[Math.min(BUCKETS - 1, Math.floor(ms / BUCKET_MS))]++;
      count++;
    },
    percentile(p) {
      const rank = Math.ceil((p / 100) * count);
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += counts[i] ?? 0;
        if (seen >= rank && seen > 0) return Math.round((i + 1) * BUCKET_MS * 100) / 100;
      }
      return 0;
    },
    get count() {
      return count;
    },
  };
}

/** The percentiles every scenario reports, in ms. */
export function latencySummary(histogram: LatencyHistogram): { p50: number; p90: number; p99: number } {
  return { p50: histogram.percentile(50), p90: histogram.percentile(90), p99: histogram.percentile(99) };
}
