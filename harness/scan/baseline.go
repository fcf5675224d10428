package scan

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// assignFingerprints sets every finding's Fingerprint: a 128-bit hash of
// the path, the rule and the digest of the normalised source line, in
// hex, then ":n" for the n-th finding with that hash in the file (in report order; a wrapper found across files comes after the
// file's own). The line number is left out, so a finding keeps its
// fingerprint when code above it moves. fs must be sorted (sortFindings);
// as the path is hashed, a file's findings are numbered on their own.
func assignFingerprints(fs []Finding) {
	assignFingerprintsWith(fs, nil)
}

// assignFingerprintsWith is assignFingerprints with a map to reuse.
func assignFingerprintsWith(fs []Finding, seen map[[16]byte]int) {
	clear(seen)
	var path fnv128
	for i := range fs {
		f := &fs[i]
		if i == 0 || f.Path != fs[i-1].Path {
			path = newFNV128().mix(f.Path)
		}
		base := path.mix(string(f.Rule)).sum(f.line)
		if seen == nil {
			seen = make(map[[16]byte]int, len(fs))
		}
		seen[base]++
		f.Fingerprint = fingerprint(base, seen[base])
	}
}

// fnv128 is 128-bit FNV-1a as two 64-bit lanes with different offset
// bases. A fingerprint identifies a finding and protects nothing, so a
// fast stable hash will do.
type fnv128 struct{ h1, h2 uint64 }

const fnvPrime = 1099511628211

func newFNV128() fnv128 { return fnv128{14695981039346656037, 0x6c62272e07bb0142} }

// mix hashes s, then a separator.
func (h fnv128) mix(s string) fnv128 {
	for i := 0; i < len(s); i++ {
		h.h1 = (h.h1 ^ uint64(s[i])) * fnvPrime
		h.h2 = (h.h2 ^ uint64(s[i])) * fnvPrime
	}
	h.h1, h.h2 = (h.h1^0xff)*fnvPrime, (h.h2^0xff)*fnvPrime
	return h
}

// sum hashes the line digest and returns the 16-byte hash.
func (h fnv128) sum(line lineSum) [16]byte {
	for _, c := range line {
		h.h1 = (h.h1 ^ uint64(c)) * fnvPrime
		h.h2 = (h.h2 ^ uint64(c)) * fnvPrime
	}
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], h.h1)
	binary.BigEndian.PutUint64(out[8:], h.h2)
	return out
}

// fingerprintBase is the hash of a finding's path, rule and line digest.
func fingerprintBase(f *Finding) [16]byte {
	return newFNV128().mix(f.Path).mix(string(f.Rule)).sum(f.line)
}

// fingerprint renders a base hash in hex and the ordinal n.
func fingerprint(base [16]byte, n int) string {
	var out [48]byte
	hex.Encode(out[:32], base[:])
	return string(strconv.AppendInt(append(out[:32], ':'), int64(n), 10))
}

// nextFingerprint numbers a finding added after its file's were
// fingerprinted: after every finding of the same hash in the file's
// findings and in those added before it.
func nextFingerprint(f *Finding, groups ...[]Finding) string {
	base := fingerprintBase(f)
	prefix := fingerprint(base, 0)
	prefix = prefix[:len(prefix)-1] // "hex:"
	n := 1
	for _, g := range groups {
		for k := range g {
			if g[k].Path == f.Path && strings.HasPrefix(g[k].Fingerprint, prefix) {
				n++
			}
		}
	}
	return fingerprint(base, n)
}

// Baseline is the set of findings of an earlier scan, by fingerprint:
// Subtract leaves out the findings it holds, so that a repository with
// findings today can fail only on new ones.
type Baseline struct {
	fingerprints map[string]Confidence
}

// Len is the number of findings in the baseline.
func (b *Baseline) Len() int { return len(b.fingerprints) }

// ReadBaseline reads a baseline: a JSON report written by WriteJSON
// (gpcheck scan --format json, or --write-baseline).
func ReadBaseline(r io.Reader) (*Baseline, error) {
	var doc struct {
		SchemaVersion int    `json:"schema_version"`
		Tool          string `json:"tool"`
		Findings      []struct {
			Fingerprint string     `json:"fingerprint"`
			Confidence  Confidence `json:"confidence"`
		} `json:"findings"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a gpcheck scan JSON report: %w", err)
	}
	if doc.Tool != toolName {
		return nil, fmt.Errorf("not a gpcheck scan JSON report (tool %q, want %q)", doc.Tool, toolName)
	}
	if doc.SchemaVersion != jsonSchemaVersion {
		return nil, fmt.Errorf("report schema_version %d has no fingerprints to compare (want %d): write a new baseline with --write-baseline",
			doc.SchemaVersion, jsonSchemaVersion)
	}
	b := &Baseline{fingerprints: make(map[string]Confidence, len(doc.Findings))}
	for k, f := range doc.Findings {
		if f.Fingerprint == "" {
			return nil, fmt.Errorf("finding %d has no fingerprint", k+1)
		}
		b.fingerprints[f.Fingerprint] = f.Confidence
	}
	return b, nil
}

// errNilBaseline is returned by Subtract without a baseline.
var errNilBaseline = errors.New("scan: no baseline")

// Subtract returns r without the findings in b, counting them in
// Baseline.Known, and the baseline's findings at or above r's minimum
// confidence that r no longer has in Baseline.Gone. ByRule counts what is
// left.
func (r Result) Subtract(b *Baseline) (Result, error) {
	if b == nil {
		return r, errNilBaseline
	}
	out := r
	out.Findings = nil
	counts := &BaselineCounts{}
	found := map[string]bool{}
	for _, f := range r.Findings {
		found[f.Fingerprint] = true
		if _, ok := b.fingerprints[f.Fingerprint]; ok {
			counts.Known++
			continue
		}
		out.Findings = append(out.Findings, f)
	}
	for fp, c := range b.fingerprints {
		if !found[fp] && c.rank() >= r.MinConfidence.rank() {
			counts.Gone++ // gone, not merely hidden by the confidence filter
		}
	}
	out.Baseline = counts
	out.ByRule = countByRule(out.Findings)
	return out, nil
}
