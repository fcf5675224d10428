package legacy

import "github.com/dgrijalva/jwt-go"

var _ = jwt.New
