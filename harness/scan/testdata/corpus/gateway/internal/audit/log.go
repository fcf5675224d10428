// Package audit writes audit events.
package audit

import "log/slog"

// Rotated records a rotation of the JWT secret.
func Rotated(l *slog.Logger, by string) {
	l.Info("rotated", "action", "update_jwt_secret", "by", by) // low: secret_mention
}

// checkTokenHeader checks a header's shape only.
func checkTokenHeader(v string) bool { return len(v) > 7 && v[:7] == "Bearer " } // low: validator_name
