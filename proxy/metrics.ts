/**
 * A small Prometheus registry: counters, gauges read at scrape time, and one latency histogram with fixed buckets.
 * Rendered in the text exposition format (version 0.0.4) at GET /metrics.
 */

type Labels = Readonly<Record<string, string>>;

function key(labels: Labels): string {
  const names = Object.keys(labels);
  return names.length === 0 ? '' : `{${names.map((n) => `${n}="${labels[n]!.replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}

/** One series of a counter: a cell the per-request path adds to without looking its key up. */
interface Cell {
  value: number;
}

class Counter {
  readonly #values = new Map<string, Cell>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  #cell(k: string): Cell {
    let cell = this.#values.get(k);
    if (cell === undefined) this.#values.set(k, (cell = { value: 0 }));
    return cell;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.#cell(key(labels)).value += by;
  }
  /**
   * inc() for the proxy's per-request counter: two labels, their series found once per pair, and the last pair's
   * kept (the same method and status, strings the caller passes as the same objects, follow one another).
   */
  inc2(a: string, aValue: string, b: string, bValue: string): void {
    if (aValue !== this.#lastA || bValue !== this.#lastB) {
      const byA = (this.#pairs ??= new Map()).get(aValue) ?? new Map<string, Cell>();
      if (byA.size === 0) this.#pairs.set(aValue, byA);
      let cell = byA.get(bValue);
      if (cell === undefined) byA.set(bValue, (cell = this.#cell(key({ [a]: aValue, [b]: bValue }))));
      this.#lastA = aValue;
      this.#lastB = bValue;
      this.#last = cell;
    }
    this.#last!.value++;
  }
  #pairs: Map<string, Map<string, Cell>> | undefined;
  #lastA: string | undefined;
  #lastB: string | undefined;
  #last: Cell | undefined;
  get(labels: Labels = {}): number {
    return this.#values.get(key(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, cell] of this.#values) lines.push(`${this.name}${k} ${cell.value}`);
    return lines.join('\n');
  }
}

class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => number,
  ) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join('\n');
  }
}

/** Seconds, like every Prometheus duration; buckets from 100 µs to 10 s. */
const BUCKETS = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
]);

class Histogram {
  readonly #counts = new Array<number>(BUCKETS.length + 1).fill(0);
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(seconds: number): void {
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += this.#counts[i]!;
      lines.push(`${this.name}_bucket{le="${le}"} ${cumulative}`);
    });
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.#count}`,
      `${this.name}_sum ${this.#sum}`,
      `${this.name}_count ${this.#count}`,
    );
    return lines.join('\n');
  }
}

export class ProxyMetrics {
  readonly requests = new Counter('mcp_proxy_requests_total', 'HTTP requests handled, by method and status.');
  readonly rejected = new Counter('mcp_proxy_rejected_total', 'Requests refused by a proxy stage, by reason.');
  readonly routedOnHeaders = new Counter(
    'mcp_proxy_routed_on_headers_total',
    'POSTs of the stateless revision forwarded on their routing headers, the body not parsed (--route-on-headers).',
  );
  readonly upstreamErrors = new Counter('mcp_proxy_upstream_errors_total', 'Upstream failures, by kind.');
  readonly childrenSpawned = new Counter('mcp_proxy_children_spawned_total', 'stdio upstream processes started.');
  readonly cancelled = new Counter(
    'mcp_proxy_cancelled_total',
    'Requests whose client went away before the answer; the upstream was told to stop.',
  );
  readonly dropped = new Counter(
    'mcp_proxy_dropped_messages_total',
    'Server → client messages dropped to bound memory, by reason: queue_full (no stream open), slow_stream (its reader lags), slow_reader (a legacy SSE session closed).',
  );
  readonly duration = new Histogram(
    'mcp_proxy_request_duration_seconds',
    'Time from request received to response complete.',
  );
  readonly #gauges: Gauge[] = [];

  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.push(new Gauge(name, help, read));
  }

  render(): string {
    return (
      [
        this.requests,
        this.rejected,
        this.routedOnHeaders,
        this.upstreamErrors,
        this.childrenSpawned,
        this.cancelled,
        this.dropped,
        this.duration,
        ...this.#gauges,
      ]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
