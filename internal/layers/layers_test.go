package layers

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestModuleKeepsItsLayers checks the module's real import graph (code,
// not tests) against Rules.
func TestModuleKeepsItsLayers(t *testing.T) {
	modOut, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(modOut))
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		pkg := rel(module, fields[0])
		imports[pkg] = nil
		for _, d := range fields[1:] {
			if d == module || strings.HasPrefix(d, module+"/") {
				imports[pkg] = append(imports[pkg], rel(module, d))
			}
		}
	}
	if len(imports) < 10 {
		t.Fatalf("go list found only %d packages: %v", len(imports), imports)
	}
	for _, line := range Check(Rules(), imports) {
		t.Error(line)
	}
}

func rel(module, pkg string) string {
	if pkg == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module+"/")
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		imports map[string][]string
		bad     int
	}{
		{"downward", map[string][]string{"cmd/gpcheck": {"engine", "reports"}, "engine": {"suites"}, "suites": {"harness/check", "reports"}, "harness/check": {"reports"}}, 0},
		{"harness imports the engine", map[string][]string{"harness/flow": {"engine"}}, 1},
		{"model imports a writer", map[string][]string{"reports": {"reports/reporters"}}, 1},
		{"harness imports a writer", map[string][]string{"harness/check": {"reports/reporters"}}, 1},
		{"CI output renders with a writer", map[string][]string{"reports/ci": {"reports/reporters", "reports/internal/format"}}, 0},
		{"a writer imports CI output", map[string][]string{"reports/reporters": {"reports/ci"}}, 1},
		{"fixtures import the harness", map[string][]string{"fixtures/sut": {"harness/profile", "harness/client"}}, 1},
		{"profile imports the harness", map[string][]string{"harness/profile": {"harness/client"}}, 1},
		{"suites import fixtures", map[string][]string{"suites": {"fixtures/sut"}}, 1},
		{"a package no rule holds", map[string][]string{"tools/x": {"reports"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(Rules(), tt.imports); len(got) != tt.bad {
				t.Errorf("got %d violation(s) %q, want %d", len(got), got, tt.bad)
			}
		})
	}
}
