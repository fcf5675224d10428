package jwt

import "os"

// Parse parses.
func Parse(s string) error { _ = os.Getenv("JWT_SECRET"); return nil }
