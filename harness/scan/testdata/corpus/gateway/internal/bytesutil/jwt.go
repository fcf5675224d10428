// Package bytesutil has helpers named after what they carry.
package bytesutil

import (
	"encoding/base64"

	jwt "github.com/golang-jwt/jwt/v5" // want: jwt_import
)

type segment struct{ raw string }

// Parse is a method on segment, not the JWT library's.
func (s segment) Parse() ([]byte, error) { return base64.RawURLEncoding.DecodeString(s.raw) }

// Header decodes a header segment held in a parameter named jwt.
func Header(jwt segment) ([]byte, error) { // ok
	return jwt.Parse() // ok
}

// Payload shadows the import with a local.
func Payload(raw string) ([]byte, error) {
	jwt := segment{raw: raw} // ok
	return jwt.Parse()       // ok
}

// Leeway is the library's option, named only.
var Leeway = jwt.WithLeeway // ok
