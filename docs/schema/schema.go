// Package schema holds gpcheck's published contract: the JSON Schemas
// (draft 2020-12) of what gpcheck writes for machines to read —
// report.schema.json (report.json), history-line.schema.json (one line of
// a `--history` file) and scan.schema.json (`gpcheck scan --format
// json`). The files are the contract; this package embeds them so that
// the tests beside them validate every golden file and a fully populated
// model against exactly the published files, and fail when the Go model
// gains a field the schema does not describe.
package schema

import (
	"embed"
	"io/fs"
)

// The schema files, by what they describe.
const (
	Report      = "report.schema.json"
	HistoryLine = "history-line.schema.json"
	Scan        = "scan.schema.json"
)

//go:embed *.schema.json
var files embed.FS

// Files returns the schema files, read-only.
func Files() fs.FS { return files }

// Names lists the schema files.
func Names() []string { return []string{Report, HistoryLine, Scan} }
