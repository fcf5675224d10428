// Package session refreshes sessions.
package session

import (
	"github.com/go-jose/go-jose/v4/jwt" // want: jwt_import
)

// VerifyRefresh checks a refresh token by hand with go-jose.
var VerifyRefresh = func(raw string, key []byte) (map[string]any, error) { // want: duplicate_validator
	tok, err := jwt.ParseSigned(raw, nil) // want: jwt_operation
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	return out, tok.Claims(key, &out)
}
