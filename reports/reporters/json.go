package reporters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gpcheck/gpcheck/reports"
)

// JSON renders r as report.json: the whole model, indented, without HTML
// escaping, ending in a newline. reports.ReadJSON reads it back. r must
// already be redacted (reports.Redacted), as WriteAll does.
func JSON(r *reports.Report) ([]byte, error) {
	if r == nil {
		return nil, errors.New("json: nil report")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return buf.Bytes(), nil
}
