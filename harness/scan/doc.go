// Package scan is gpcheck's static JWT-code scanner. The rule it enforces:
// JWT code lives in the auth service only. Scan reads Python (.py), Go
// (.go), JavaScript (.js .mjs .cjs .jsx) and TypeScript (.ts .mts .cts
// .tsx) sources outside Options.AuthPaths and reports four categories.
//
// # Lexing
//
// Each file is tokenised by a small per-language lexer. Comments (Python
// #, Go/JS/TS // and /* */) produce no tokens. String literals (Python
// single/triple-quoted with any prefix, Go "..." `...` '...', JS/TS '...'
// "..." and template literals, whose ${...} substitutions are lexed as code)
// become opaque tokens whose contents are consulted only as import paths
// and by the secret rule; Python strings that are a statement on their own
// (docstrings) are ignored entirely. JS/TS regular-expression literals are
// recognised by the usual previous-token heuristic. Known limits: Python
// f-string {expressions} and JSX text are not lexed as code.
//
// # jwt_import
//
// Python: import/from of jwt (PyJWT), jose / jose.* (python-jose),
// authlib.jose / authlib.jose.* and "from authlib import jose" (authlib).
// Go: import paths starting with github.com/golang-jwt/jwt,
// github.com/dgrijalva/jwt-go, github.com/form3tech-oss/jwt-go,
// github.com/go-jose/go-jose, github.com/square/go-jose,
// gopkg.in/square/go-jose, gopkg.in/go-jose/go-jose or
// github.com/lestrrat-go/jwx (any version or subpackage). JS/TS:
// jsonwebtoken, jose and jwt-decode (or a subpath) via import ... from,
// side-effect import, export ... from, require() and import(). One finding
// per imported module, at the module name.
//
// # jwt_operation
//
// A call R.M( where M is one of decode encode verify sign decode_complete
// get_unverified_header get_unverified_claims Parse ParseWithClaims
// ParseUnverified ParseString ParseRequest ParseHeader ParseSigned
// ParseEncrypted ParseInsecure New NewWithClaims NewParser Signed Encrypted
// Sign Verify Validate, and R is the identifier "jwt" or a name bound by a
// JWT import in the same file (import jwt as pyjwt; from jose import jwt;
// Go import aliases and default package names such as jose for go-jose;
// import * as x / import x / const x = require(...) of a JS module).
// A chain counts through its last receiver: jose.jwt.decode( is a call on jwt.
// Also, on any receiver: SignedString ParseWithClaims ParseUnverified
// (token.SignedString(key)). Also, as plain calls or methods: jwtVerify
// jwtDecrypt jwtDecode decodeJwt decodeProtectedHeader, and the
// constructors SignJWT EncryptJWT UnsecuredJWT (new SignJWT(...)). Also a
// plain call of a name bound to one of these functions by a named import
// (from jwt import decode as d; import { verify } from 'jsonwebtoken';
// const { sign } = require('jsonwebtoken')). Definitions are not calls.
//
// # secret_access
//
// An identifier containing both "jwt" and "secret" (ASCII case-insensitive):
// JWT_SECRET, settings.JWT_SECRET_KEY, get_jwt_secret(), jwtSecret,
// process.env.JWT_SECRET. Or a string literal that is a single word (no
// white space, at most 200 bytes) containing both: os.getenv("JWT_SECRET"),
// viper.GetString("auth.jwt_secret"). Sentences in strings, comments and
// docstrings never count, nor does the name in a function definition. At
// most one finding per line.
//
// # duplicate_validator
//
// A function or method definition (Python def and name = lambda; Go func,
// methods and name = func; JS/TS function declarations with a body, class
// and object methods, and name = / name: function or arrow values) whose
// name, lower-cased with underscores removed, matches
//
//	^(validate|verify|decode|parse|check)(and(validate|verify|decode|parse|check))*(access|bearer|auth|id|refresh|jwt)?(jwt|token)(signature|sig|claims|payload|header)?$
//
// (validate_token, decode_jwt, validate_and_decode_jwt,
// verify_jwt_signature, verifyAccessToken, ParseToken). Names are grouped
// by that normalised form across all scanned files and languages, so
// validate_token in Python and validateToken in TypeScript are the same
// validator. A group with two or more definition sites reports every site.
//
// # Files
//
// Directories named node_modules, vendor, .git and testdata below a root
// are skipped (a root itself is always scanned, and may be a symlink), as
// are files over MaxFileSize, symlinks below a root, and test files unless
// Options.IncludeTests.
package scan
