/**
 * Latency samples kept in full (up to a cap) and sorted once for percentiles: exact, and at the
 * sample counts a bench run produces (at most a few hundred thousand) cheaper than an HDR histogram.
 */
export class LatencySamples {
  constructor(capacity = 2_000_000) {
    this.values = new Float64Array(capacity);
    this.count = 0;
    this.dropped = 0;
  }

  add(ms) {
    if (this.count < this.values.length) this.values[this.count++] = ms;
    else this.dropped++;
  }

  summary() {
    const sorted = this.values.slice(0, this.count).sort();
    const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: this.count,
      dropped: this.dropped,
      mean: sorted.length ? sum / sorted.length : null,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      p999: at(0.999),
      max: sorted.length ? sorted[sorted.length - 1] : null,
    };
  }
}
