package reports

import "testing"

func TestFailureBound(t *testing.T) {
	tests := []struct {
		failed, attempted int
		conf, want        float64
	}{
		{0, 20, 95, 13.92},  // the rule of three: about 3/20
		{0, 299, 95, 1},     // 1% at 95% needs 299 flows
		{0, 298, 95, 1.01},  // one fewer is not enough
		{1, 20, 95, 21.62},  // exact binomial (Clopper–Pearson, one-sided): 21.61…, rounded up
		{5, 100, 95, 10.23}, // exact binomial: 10.225…, rounded up
		{0, 0, 95, 100},
		{3, 3, 95, 100},
	}
	for _, tt := range tests {
		if got := FailureBound(tt.failed, tt.attempted, tt.conf); got != tt.want {
			t.Errorf("FailureBound(%d, %d, %g) = %g, want %g", tt.failed, tt.attempted, tt.conf, got, tt.want)
		}
	}
	if n := FlowsToShow(1, 95); n != 299 {
		t.Errorf("FlowsToShow(1%%, 95%%) = %d, want 299", n)
	}
	if n := FlowsToShow(0.1, 99); n != 4603 {
		t.Errorf("FlowsToShow(0.1%%, 99%%) = %d, want 4603", n)
	}
}
