// Package scan is gpcheck's static JWT-code scanner. The rule it enforces:
// JWT code lives in the auth service only. Scan reads Python (.py), Go
// (.go), JavaScript (.js .mjs .cjs .jsx) and TypeScript (.ts .mts .cts
// .tsx) sources outside Options.AuthPaths and reports six rules, each with
// a confidence (high, medium, low) that is also the SARIF level (error,
// warning, note). Low-confidence rules are off unless
// Options.MinConfidence is low.
//
// # Lexing
//
// Each file is tokenised by a small per-language lexer. Comments (Python
// #, Go/JS/TS // and /* */) produce no tokens. String literals become
// opaque tokens whose contents are consulted only as import paths, keys
// and arguments; Python strings that are a statement on their own
// (docstrings) are ignored entirely. Code inside interpolations is code:
// JS/TS template literal ${...} substitutions and Python f-string (and
// t-string) replacement fields, whatever their spacing ({{ and }} are
// text; format specs are text). JS/TS regular-expression literals are
// recognised by the usual previous-token heuristic. Known limits: JSX text
// is not lexed as code, nor are fields nested in an f-string format spec.
//
// # Names are resolved
//
// A call counts only on a name that the file binds to a JWT library import
// — import jwt; import jwt as pyjwt; from jose import jwt; from jwt import
// decode as d; Go imports and their aliases (package name jose for go-jose,
// jwt for jwt-go); import * as x, import x, import { verify as v } from and
// const x = require(...) of a JS module; an instance of a bound class
// (j = JsonWebToken([...])) — and not where a function's parameter or local
// variable of the same name shadows it (def f(jwt: bytes); jwt :=
// segment{}; const jwt = Buffer.from(b)). A chain counts through its root:
// jose.jwt.decode( with import jose.
//
// # jwt_import (high)
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
// # jwt_operation (high)
//
// A call R.M( where R is bound (above) and M is one of decode encode
// verify sign decode_complete get_unverified_header get_unverified_claims
// Parse ParseWithClaims ParseUnverified ParseString ParseRequest
// ParseHeader ParseSigned ParseEncrypted ParseInsecure New NewWithClaims
// NewParser Signed Encrypted Sign Verify Validate jwtVerify jwtDecrypt
// jwtDecode decodeJwt decodeProtectedHeader SignJWT EncryptJWT
// UnsecuredJWT; a plain call of a name a named import binds to one of
// these (new SignJWT( included); require('jose').decodeJwt(; and, on any
// receiver, SignedString ParseWithClaims ParseUnverified. Definitions are
// not calls.
//
// # secret_read (medium): reads, not mentions
//
// A name "names the secret" when it holds "jwt" then "secret" and after
// that at most a key-like suffix (JWT_SECRET, JWT_SECRET_KEY, jwtSecret,
// auth.jwt_secret, JWT_SECRET_FILE; not JwtSecretDriftMonitor,
// jwt_secret_manager, JWT_SECRET_ROTATION_DAYS). A read of it is:
//   - an attribute read, X.NAME, not assigned to, on any receiver but
//     self, this and cls: settings.JWT_SECRET_KEY, config.jwtSecret,
//     process.env.JWT_SECRET, c.JWTSecret;
//   - a subscript with a string key, not assigned to: os.environ["..."],
//     app.config["JWT_SECRET_KEY"], process.env['...'];
//   - a string as the first argument of a getter — getenv Getenv LookupEnv
//     get Get GetString getString GetBytes MustGet MustGetString setdefault
//     config env get_secret getSecret GetSecret get_secret_value — or as
//     the second of getattr: os.getenv("JWT_SECRET"),
//     viper.GetString("auth.jwt_secret"), getattr(settings, "JWT_SECRET");
//   - a call of a getter named after it: the name alone or after get,
//     fetch, load, read, resolve, lookup, retrieve, require, must or
//     current (get_jwt_secret(), getJwtSecret(), cfg.JWTSecret());
//   - JS/TS destructuring: const { JWT_SECRET } = process.env.
//
// At most one secret finding per line; a read wins over a mention.
//
// # secret_mention (low)
//
// Any other identifier, or name-like string (no white space, braces or
// quotes, at most 200 bytes), containing "jwt" and "secret": imports,
// class, function and field definitions, parameters, decorator arguments
// (@field_validator('jwt_secret')), comparisons (name.startswith(...),
// == "JWT_SECRET"), lists of names, keyword values
// (action_id="update_jwt_secret"), stores, uses of a variable holding the
// secret. Comments and docstrings never count.
//
// # duplicate_validator (high; medium for a wrapper)
//
// A named function definition (Python def and name = lambda; Go func,
// methods and name = func; JS/TS function declarations with a body, class
// and object methods, and name = / name: function or arrow values) is a
// token validator by what its body does, not by its name:
//   - it decodes, verifies or parses a JWT with a resolved call (decode,
//     verify, Parse*, jwtVerify, decodeJwt, ...; encode and sign issue
//     tokens and do not count); or
//   - it checks an HMAC (hmac.new, hmac.compare_digest, hmac.New,
//     hmac.Equal, createHmac) over something it splits on "."; or
//   - it only wraps one: a body of at most 40 tokens calling a validator,
//     resolved by name in the same file first, otherwise only when every
//     function of that name in the scan is a validator (medium).
//
// A function that calls a validation endpoint over HTTP (an HTTP call —
// get post put patch request fetch urlopen axios Get Post PostForm Do
// NewRequest NewRequestWithContext — and a string holding "/" and
// validat, verif, introspect or tokeninfo) is the sanctioned client and
// never a validator. Each validator is reported at its name; when a name
// has several validator sites — grouped across files and languages,
// validate_token and validateToken being one — the message lists every
// one of them and SARIF gives the others as relatedLocations.
//
// # validator_name (low)
//
// A function named like a validator — lower-cased with underscores
// removed, validate verify decode parse check authenticate or introspect,
// then token or jwt — that is none by its body: an email-link
// verify_token, an OAuth provider's check. Not the sanctioned HTTP client,
// nor a function decorated as a pydantic (or marshmallow) field validator.
//
// # Paths
//
// Paths are slash paths relative to Options.Root, the repository root
// (FindRoot: the git top level of the first scanned path, or the current
// directory). AuthPaths and TestPaths are doublestar globs on them (**
// is any number of directories, zero included; a directory that matches
// covers everything below it; absolute paths inside the root are made
// relative). A pattern that matches no file in the scanned paths nor
// anywhere in the repository is a *PatternError.
//
// Below a scanned path, directories named .git, .hg, .svn and .jj are
// never walked; the following are walked only to count their source
// files: the auth paths; vendored, generated and copied code
// (node_modules, vendor, third_party, virtual environments, caches, dist,
// build, coverage, generated; backup, backups, backup_* and *_backup,
// *.bak, *.orig, *-copy, *_old; files such as *.min.js, *_pb2.py, *.pb.go,
// and any whose first KiB says "Code generated ... DO NOT EDIT" or
// "@generated"); and test code (Options.TestPaths, and the built-in names
// listed there) unless Options.IncludeTests. Symlinks below a scanned path
// are not followed (a scanned path itself may be one); files over
// MaxFileSize are skipped. Result.Files counts all of it.
//
// # Fingerprints and baselines
//
// Every finding has a Fingerprint: a hash of its rule, path and source
// line without white space (not the line number), numbered when a file
// has several alike. WriteJSON's report, read back with ReadBaseline,
// is a baseline: Result.Subtract keeps only the findings not in it.
package scan
