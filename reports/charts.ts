/**
 * The chart configurations, as the browser-side script the report inlines. It reads the embedded data and draws:
 * the latency percentile spectrum (HdrHistogram's plot: x = 1/(1-p) on a log axis, so 90% / 99% / 99.9% are evenly
 * spaced, one line per target) and throughput per target with each trial as a point.
 */

export interface ReportData {
  readonly scenarios: ReadonlyArray<null | {
    readonly name: string;
    readonly targets: ReadonlyArray<{
      readonly name: string;
      /** How the latency was timed (open, closed, delivery); null when the target has none. */
      readonly model: string | null;
      readonly spectrum: ReadonlyArray<{ percentile: number; value_us: number }>;
      readonly throughputRps: number;
      readonly trialRates: readonly number[];
      readonly trialP50: readonly number[];
    }>;
    /** Curves over sessions, time or steps (see Series in the results schema), drawn in order. */
    readonly series: ReadonlyArray<import('../harness/results/schema.js').Series>;
  }>;
}

export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('mcp-perf-data').textContent);
  var palette = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bc4c00', '#6e7781'];
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  function percentileLabel(x) {
    var p = 100 - 100 / x;
    return (Math.round(p * 1000) / 1000) + '%';
  }
  var units = {
    bytes: function (v) { return Math.abs(v) >= 1048576 ? (v / 1048576).toFixed(1) + ' MiB' : Math.abs(v) >= 1024 ? (v / 1024).toFixed(1) + ' KiB' : v + ' B'; },
    us: function (v) { return v + ' µs'; }, ms: function (v) { return v + ' ms'; }, s: function (v) { return v + ' s'; },
    pct: function (v) { return v + '%'; }, rps: function (v) { return v + '/s'; }
  };
  function tick(unit) { return units[unit] || function (v) { return v; }; }
  data.scenarios.forEach(function (s, i) {
    if (!s) return; // a failed scenario
    s.series.forEach(function (series, k) {
      var canvas = document.getElementById('series-' + i + '-' + k);
      if (!canvas) return;
      var datasets = series.lines.map(function (line, n) {
        return {
          label: line.label,
          data: line.points.map(function (p) { return { x: p[0], y: p[1] }; }),
          borderColor: palette[n % palette.length],
          backgroundColor: palette[n % palette.length],
          showLine: line.points.length > 1,
          pointRadius: line.points.length > 60 ? 0 : 3,
          borderWidth: 2
        };
      });
      if (series.fit) {
        var xs = series.lines[0].points.map(function (p) { return p[0]; });
        var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
        datasets.push({
          label: series.fit.label,
          data: [lo, hi].map(function (x) { return { x: x, y: series.fit.intercept + series.fit.slope * x }; }),
          borderColor: '#6e7781', borderDash: [6, 4], pointRadius: 0, showLine: true, borderWidth: 1.5
        });
      }
      new Chart(canvas, {
        type: 'scatter',
        data: { datasets: datasets },
        options: {
          plugins: { title: { display: true, text: s.name + ': ' + series.title } },
          scales: {
            x: { type: 'linear', title: { display: true, text: series.x.label }, ticks: { callback: tick(series.x.unit) } },
            y: { beginAtZero: series.y.unit !== 'bytes', title: { display: true, text: series.y.label }, ticks: { callback: tick(series.y.unit) } }
          }
        }
      });
    });
    var spectrum = document.getElementById('spectrum-' + i);
    if (spectrum) {
      new Chart(spectrum, {
        type: 'line',
        data: {
          datasets: s.targets.filter(function (t) { return t.model !== null; }).map(function (t, k) {
            return {
              label: t.name + ' (' + t.model + ')',
              borderColor: palette[k % palette.length],
              backgroundColor: palette[k % palette.length],
              pointRadius: 0,
              borderWidth: 2,
              stepped: 'before',
              // p = 100% has x = ∞: the max is in the table, not on a log axis.
              data: t.spectrum.filter(function (p) { return p.percentile < 100; })
                .map(function (p) { return { x: 1 / (1 - p.percentile / 100), y: p.value_us }; })
            };
          })
        },
        options: {
          parsing: false,
          plugins: {
            title: { display: true, text: s.name + ': latency by percentile (µs; open = from intended send time, closed = service time, delivery = event send to arrival)' },
            tooltip: { callbacks: { title: function (items) { return 'p' + percentileLabel(items[0].parsed.x); } } }
          },
          scales: {
            x: {
              type: 'logarithmic',
              min: 1,
              title: { display: true, text: 'percentile' },
              ticks: {
                callback: function (v) {
                  var l = Math.log10(v);
                  return Math.abs(l - Math.round(l)) < 1e-9 ? percentileLabel(v) : '';
                }
              }
            },
            y: { beginAtZero: true, title: { display: true, text: 'latency (µs)' } }
          }
        }
      });
    }
    var throughput = document.getElementById('throughput-' + i);
    if (throughput) {
      new Chart(throughput, {
        data: {
          labels: s.targets.map(function (t) { return t.name; }),
          datasets: [
            {
              type: 'bar',
              label: 'median of trials',
              data: s.targets.map(function (t) { return t.throughputRps; }),
              backgroundColor: s.targets.map(function (t, k) { return palette[k % palette.length] + '99'; })
            },
            {
              type: 'scatter',
              label: 'each trial',
              data: s.targets.flatMap(function (t) { return t.trialRates.map(function (r) { return { x: t.name, y: r }; }); }),
              backgroundColor: '#1b1f24',
              pointRadius: 3
            }
          ]
        },
        options: {
          plugins: { title: { display: true, text: 'throughput (req/s, closed model)' } },
          scales: { x: { type: 'category' }, y: { beginAtZero: true, title: { display: true, text: 'requests / s' } } }
        }
      });
    }
  });
})();
`;
