package engine

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// metricsServer serves the run's metrics in the Prometheus text format on
// GET /metrics while the run goes on (--metrics-addr): a hand-written
// exposition of what a manual reader collects, so that no Prometheus
// client library comes along.
type metricsServer struct {
	reader *sdkmetric.ManualReader
	srv    *http.Server
	// URL is the endpoint's address, "http://host:port/metrics".
	URL  string
	done chan struct{}
}

// startMetricsServer listens on addr and serves reader's metrics until
// stop.
func startMetricsServer(ctx context.Context, addr string, reader *sdkmetric.ManualReader) (*metricsServer, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, setupf("--metrics-addr: %v", err)
	}
	m := &metricsServer{reader: reader, URL: "http://" + l.Addr().String() + "/metrics", done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", m.serve)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		defer close(m.done)
		_ = m.srv.Serve(l) // ends with stop
	}()
	return m, nil
}

func (m *metricsServer) serve(w http.ResponseWriter, r *http.Request) {
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(r.Context(), &rm); err != nil {
		http.Error(w, "collect metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	writePrometheus(w, &rm)
}

// stop shuts the endpoint down within ctx's deadline.
func (m *metricsServer) stop(ctx context.Context) {
	if m == nil {
		return
	}
	if err := m.srv.Shutdown(ctx); err != nil {
		_ = m.srv.Close()
	}
	<-m.done
}

// writePrometheus writes rm in the Prometheus text exposition format
// (version 0.0.4): counters as <name>_total, gauges as they are,
// histograms as cumulative _bucket{le=…}, _sum and _count; names with
// their unit ("gpcheck_stage_duration_seconds"), dots as underscores.
func writePrometheus(w io.Writer, rm *metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				typ, name := "gauge", promName(m.Name, m.Unit, "")
				if d.IsMonotonic {
					typ, name = "counter", promName(m.Name, m.Unit, "_total")
				}
				header(w, name, typ, m.Description)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s%s %d\n", name, labels(p.Attributes, ""), p.Value)
				}
			case metricdata.Sum[float64]:
				typ, name := "gauge", promName(m.Name, m.Unit, "")
				if d.IsMonotonic {
					typ, name = "counter", promName(m.Name, m.Unit, "_total")
				}
				header(w, name, typ, m.Description)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s%s %s\n", name, labels(p.Attributes, ""), promFloat(p.Value))
				}
			case metricdata.Gauge[float64]:
				name := promName(m.Name, m.Unit, "")
				header(w, name, "gauge", m.Description)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s%s %s\n", name, labels(p.Attributes, ""), promFloat(p.Value))
				}
			case metricdata.Histogram[float64]:
				name := promName(m.Name, m.Unit, "")
				header(w, name, "histogram", m.Description)
				for _, p := range d.DataPoints {
					var cum uint64
					for i, b := range p.Bounds {
						cum += p.BucketCounts[i]
						fmt.Fprintf(w, "%s_bucket%s %d\n", name, labels(p.Attributes, promFloat(b)), cum)
					}
					fmt.Fprintf(w, "%s_bucket%s %d\n", name, labels(p.Attributes, "+Inf"), p.Count)
					fmt.Fprintf(w, "%s_sum%s %s\n", name, labels(p.Attributes, ""), promFloat(p.Sum))
					fmt.Fprintf(w, "%s_count%s %d\n", name, labels(p.Attributes, ""), p.Count)
				}
			}
		}
	}
}

func header(w io.Writer, name, typ, help string) {
	if help != "" {
		fmt.Fprintf(w, "# HELP %s %s\n", name, strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help))
	}
	fmt.Fprintf(w, "# TYPE %s %s\n", name, typ)
}

// promUnits are the unit suffixes of the units gpcheck's metrics use;
// annotations in braces ("{flow}") add none.
var promUnits = map[string]string{"s": "seconds", "%": "percent", "{flow}/s": "per_second"}

// promName is an OpenTelemetry metric name as Prometheus spells it.
func promName(name, unit, suffix string) string {
	n := sanitize(name)
	if u := promUnits[unit]; u != "" && !strings.HasSuffix(n, "_"+u) {
		n += "_" + u
	}
	return n + suffix
}

// sanitize keeps [a-zA-Z0-9_:] and turns everything else into '_'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// labels renders attrs (and le, when set) as {k="v",…}, sorted by key.
func labels(attrs attribute.Set, le string) string {
	var parts []string
	for _, kv := range attrs.ToSlice() {
		parts = append(parts, sanitize(string(kv.Key))+`="`+escapeLabel(kv.Value.Emit())+`"`)
	}
	sort.Strings(parts)
	if le != "" {
		parts = append(parts, `le="`+le+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func promFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
