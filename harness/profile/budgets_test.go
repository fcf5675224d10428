package profile

import (
	"bytes"
	"strings"
	"testing"
)

func TestBudgets(t *testing.T) {
	d := Default().Budgets
	if d != (Budgets{MaxFrameBytes: 1 << 20, MaxFramesPerRun: 1000, MaxBytesPerRun: 8 << 20, MaxFramesPerSecond: 2000}) {
		t.Errorf("default budgets %+v", d)
	}

	p, err := Parse(strings.NewReader("name: b\nbudgets:\n  max_frames_per_run: 50\n  max_frame_bytes: 4096\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := d
	want.MaxFramesPerRun, want.MaxFrameBytes = 50, 4096
	if p.Budgets != want {
		t.Errorf("parsed budgets %+v, want %+v", p.Budgets, want)
	}

	// profile show writes the section, and it reads back.
	y, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"budgets:", "max_frame_bytes: 1048576", "max_frames_per_run: 1000", "max_bytes_per_run: 8388608", "max_frames_per_second: 2000"} {
		if !bytes.Contains(y, []byte(k)) {
			t.Errorf("profile YAML lacks %q:\n%s", k, y)
		}
	}
	if back, err := Parse(bytes.NewReader(y)); err != nil || back.Budgets != d {
		t.Errorf("YAML reads back as %+v, %v", back.Budgets, err)
	}

	for _, bad := range []struct{ text, want string }{
		{"budgets:\n  max_frame_bytes: 0\n", "budgets.max_frame_bytes: 0 must be positive"},
		{"budgets:\n  max_frames_per_run: -1\n", "budgets.max_frames_per_run: -1 must be positive"},
		{"budgets:\n  max_bytes_per_run: 0\n", "budgets.max_bytes_per_run"},
		{"budgets:\n  max_frames_per_second: -5\n", "budgets.max_frames_per_second"},
		{"budgets:\n  max_frame_bytes: lots\n", "line 2"},
		{"budgets:\n  max_frames: 3\n", "line 2"},
	} {
		if _, err := Parse(strings.NewReader(bad.text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", bad.text, err, bad.want)
		}
	}
}
