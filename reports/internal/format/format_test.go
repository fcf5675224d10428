package format

import (
	"testing"

	"github.com/gpcheck/gpcheck/reports"
)

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {1, 1}, {1.2, 2}, {3, 4}, {5, 6}, {7.5, 8}, {9, 10}, {1304, 2000}, {0.03, 0.04},
	}
	for _, tt := range tests {
		if got := NiceCeil(tt.in); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("NiceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{100, "100%"}, {95, "95%"}, {99.99, "99.99%"}, {92.5, "92.5%"}, {0, "0%"},
		{reports.FloorRate(1, 3), "33.33%"}, {reports.FloorRate(9999, 10000), "99.99%"}, {reports.FloorRate(19999, 20000), "99.99%"},
	}
	for _, tt := range tests {
		if got := Percent(tt.in); got != tt.want {
			t.Errorf("Percent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTrim(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"  padded  ", 10, "padded"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefghi…"},
		{"ééééééééééé", 5, "éééé…"},
	}
	for _, tt := range tests {
		if got := Trim(tt.in, tt.n); got != tt.want {
			t.Errorf("Trim(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestVerdictClass(t *testing.T) {
	for v, want := range map[reports.Verdict]string{
		reports.VerdictPassed: "passed", reports.VerdictFailed: "failed", reports.VerdictInterrupted: "unfinished",
		reports.VerdictError: "unfinished", "<script>": "unfinished",
	} {
		if got := VerdictClass(v); got != want {
			t.Errorf("VerdictClass(%q) = %q, want %q", v, got, want)
		}
	}
}
