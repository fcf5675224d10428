package legacy

import "github.com/dgrijalva/jwt-go" // want: jwt_import

var _ = jwt.New
