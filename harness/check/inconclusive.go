package check

import (
	"fmt"

	"github.com/gpcheck/gpcheck/reports"
)

// unjudged records a check that could not be judged on path: its answer
// proved neither a violation nor that the property holds. It is returned
// among a check's findings with kind inconclusive; the report keeps it
// apart from the violations.
func unjudged(path, format string, args ...any) reports.Finding {
	return reports.Finding{Kind: reports.KindInconclusive, Path: path, Detail: fmt.Sprintf(format, args...)}
}
