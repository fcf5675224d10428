package scan

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The rules are split by language: this file holds what every language
// shares (the pattern lists, the per-file analyzer and its main pass, the
// registry), and each language has one rules_<lang>.go file defining its
// language value. Adding a language is one new file plus one entry in
// languages. Spell <lang> so that it is not a GOOS or GOARCH: the go tool
// builds rules_js.go only for GOOS=js, hence rules_javascript.go.

// language is everything the scanner knows about one source language.
type language struct {
	// exts are the file extensions the language claims, lower-case with
	// the dot. No two languages share an extension.
	exts []string
	// lex appends the tokens of src to toks (see lexer.go).
	lex func(src string, toks []token) []token
	// isTest reports whether a file named base in the directories dirs
	// (the slash path relative to the scan root, split) is a test file.
	isTest func(base string, dirs []string) bool
	// imports records the file's JWT imports as jwt_import findings and
	// the names they bind (receivers, funcs). It runs before the main pass.
	imports func(a *analyzer)
	// isDefinition reports whether the identifier at i is the name in a
	// function or method definition.
	isDefinition func(a *analyzer, i int) bool

	// Optional hooks, nil when the language needs none.

	// track is called with every token index, in order, before the main
	// pass looks at the token.
	track func(a *analyzer, i int)
	// callIsDefinition reports whether name( at i, where name is bound to
	// a JWT function by an import, is a definition rather than a call.
	callIsDefinition func(a *analyzer, i int) bool
}

// languages is the registry of scanned languages. Nothing modifies it.
var languages = []*language{&python, &golang, &javascript}

// languageOf returns the language of a file name, or nil.
func languageOf(name string) *language {
	ext := strings.ToLower(filepath.Ext(name))
	for _, l := range languages {
		if slices.Contains(l.exts, ext) {
			return l
		}
	}
	return nil
}

// ---- pattern lists (documented in doc.go) ----

// opMethods are JWT operations recognised when called on a JWT module or
// package: the literal identifier "jwt", or a name bound by an import of a
// JWT library (import jwt as pyjwt, from jose import jwt, Go import
// aliases, import * as x from 'jsonwebtoken', const x = require(...)).
var opMethods = setOf(
	// PyJWT, python-jose, authlib, jsonwebtoken
	"decode", "encode", "verify", "sign", "decode_complete",
	"get_unverified_header", "get_unverified_claims",
	// golang-jwt, jwt-go, go-jose, jwx
	"Parse", "ParseWithClaims", "ParseUnverified", "ParseString", "ParseRequest",
	"ParseHeader", "ParseSigned", "ParseEncrypted", "ParseInsecure",
	"New", "NewWithClaims", "NewParser", "Signed", "Encrypted", "Sign", "Verify", "Validate",
)

// anyReceiverMethods are distinctive enough to count on any receiver
// (token.SignedString(key), parser.ParseWithClaims(...)).
var anyReceiverMethods = setOf("SignedString", "ParseWithClaims", "ParseUnverified")

// bareFuncs count as a plain call or as a method on any receiver
// (jose's jwtVerify, jwt-decode's jwtDecode); ctors count after "new" too.
var bareFuncs = setOf("jwtVerify", "jwtDecrypt", "jwtDecode", "decodeJwt", "decodeProtectedHeader",
	"SignJWT", "EncryptJWT", "UnsecuredJWT")

// validatorRE is matched against a defined function's name, lower-cased
// with underscores removed: a verb (chain), an optional qualifier, "jwt" or
// "token", and an optional suffix.
var validatorRE = regexp.MustCompile(`^(validate|verify|decode|parse|check)(and(validate|verify|decode|parse|check))*(access|bearer|auth|id|refresh|jwt)?(jwt|token)(signature|sig|claims|payload|header)?$`)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 != sub[0] {
			continue
		}
		j := 1
		for j < n && s[i+j]|0x20 == sub[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func isSecretName(s string) bool {
	return len(s) >= 9 && containsFold(s, "jwt") && containsFold(s, "secret")
}

// stringNamesSecret: a string literal names a JWT secret when it is a
// single word (no white space) of reasonable length containing both "jwt"
// and "secret": "JWT_SECRET", "auth.jwt_secret", "jwt-secret".
func stringNamesSecret(s string) bool {
	if len(s) > 200 || !isSecretName(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) || s[i] == '\n' {
			return false
		}
	}
	return true
}

// validatorKey returns the grouping key of a token-validator name, or "".
func validatorKey(name string) string {
	if !containsFold(name, "token") && !containsFold(name, "jwt") {
		return ""
	}
	k := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	if validatorRE.MatchString(k) {
		return k
	}
	return ""
}

// ---- per-file analysis ----

type defSite struct {
	name, key string
	line, col int
	off       int
	snippet   string
}

type analyzer struct {
	src       string
	t         []token
	lang      *language
	receivers []string          // names bound to a JWT module/package
	funcs     map[string]string // local name -> JWT function it is bound to
	findings  []Finding
	defs      []defSite

	jsState // used by the JS/TS rules only
}

func (a *analyzer) isP(i int, s string) bool {
	return i >= 0 && i < len(a.t) && a.t[i].kind == tkPunct && a.t[i].text == s
}

func (a *analyzer) isI(i int, s string) bool {
	return i >= 0 && i < len(a.t) && a.t[i].kind == tkIdent && a.t[i].text == s
}

func (a *analyzer) isIdent(i int) bool { return i >= 0 && i < len(a.t) && a.t[i].kind == tkIdent }

func (a *analyzer) isReceiver(name string) bool {
	if name == "jwt" {
		return true
	}
	for _, r := range a.receivers {
		if r == name {
			return true
		}
	}
	return false
}

func (a *analyzer) bindFunc(local, fn string) {
	if a.funcs == nil {
		a.funcs = map[string]string{}
	}
	a.funcs[local] = fn
}

// column returns the 1-based rune column of byte offset off.
func (a *analyzer) column(off int32) int {
	start := strings.LastIndexByte(a.src[:off], '\n') + 1
	return utf8.RuneCountInString(a.src[start:off]) + 1
}

func (a *analyzer) add(cat Category, at int, detail string) {
	tk := a.t[at]
	a.findings = append(a.findings, Finding{
		Category: cat,
		Line:     int(tk.line),
		Column:   a.column(tk.off),
		Snippet:  makeSnippet(a.src, int(tk.off)),
		Detail:   detail,
	})
}

func analyze(lang *language, src string, toks []token) ([]Finding, []defSite) {
	a := &analyzer{src: src, t: toks, lang: lang}
	lang.imports(a)
	a.mainPass()
	return a.findings, a.defs
}

// ---- operations, secrets, definitions ----

func (a *analyzer) mainPass() {
	lastSecretLine := int32(-1)
	track := a.lang.track
	for i := 0; i < len(a.t); i++ {
		tk := a.t[i]
		if track != nil {
			track(a, i)
		}
		switch tk.kind {
		case tkString:
			if tk.flags&flagDoc == 0 && tk.line != lastSecretLine && stringNamesSecret(tk.text) {
				lastSecretLine = tk.line
				a.add(CategorySecretAccess, i, "JWT secret reference: "+quoteName(tk.text))
			}
			continue
		case tkIdent:
		default:
			continue
		}
		name := tk.text
		if (containsFold(name, "jwt") || containsFold(name, "token")) && a.lang.isDefinition(a, i) {
			if key := validatorKey(name); key != "" {
				a.defs = append(a.defs, defSite{name: name, key: key, line: int(tk.line), col: a.column(tk.off), off: int(tk.off)})
			}
			continue // a definition is neither a call nor a read
		}
		if tk.line != lastSecretLine && isSecretName(name) {
			lastSecretLine = tk.line
			a.add(CategorySecretAccess, i, "JWT secret reference: "+quoteName(name))
		}
		if a.isP(i+1, "(") {
			a.checkCall(i)
		}
	}
}

func quoteName(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:59]) + "…"
	}
	return redact(s)
}

// checkCall reports t[i]( when it is a JWT operation.
func (a *analyzer) checkCall(i int) {
	name := a.t[i].text
	if a.isP(i-1, ".") {
		hit := anyReceiverMethods[name] || bareFuncs[name]
		if !hit && opMethods[name] && a.isIdent(i-2) && a.isReceiver(a.t[i-2].text) {
			hit = true
		}
		if !hit {
			return
		}
		start := i
		for a.isP(start-1, ".") && a.isIdent(start-2) {
			start -= 2
		}
		var b strings.Builder
		if a.isP(start-1, ".") {
			b.WriteString(".") // the receiver is a call or index result
		}
		for k := start; k <= i; k++ {
			b.WriteString(a.t[k].text)
		}
		a.addOp(start, b.String(), "")
		return
	}
	if a.isI(i-1, "def") || a.isI(i-1, "func") || a.isI(i-1, "function") {
		return
	}
	fn, bound := a.funcs[name]
	if !bound && !bareFuncs[name] {
		return
	}
	if bound && a.lang.callIsDefinition != nil && a.lang.callIsDefinition(a, i) {
		return
	}
	if fn == name {
		fn = ""
	}
	a.addOp(i, name, fn)
}

// addOp reports the call call( whose callee starts at token start; via
// names the JWT function a local name is bound to.
func (a *analyzer) addOp(start int, call, via string) {
	if a.isI(start-1, "new") {
		start--
		call = "new " + call
	}
	detail := "JWT operation: " + call + "("
	if via != "" {
		detail += " (" + via + ")"
	}
	a.add(CategoryJWTOperation, start, detail)
}

// maxMatch bounds bracket matching so that unbalanced code cannot make a
// file quadratic to analyse.
const maxMatch = 4096

// matchForward returns the index of the bracket closing the one at i, or -1.
func (a *analyzer) matchForward(i int) int {
	open := a.t[i].text
	var closer string
	switch open {
	case "(":
		closer = ")"
	case "[":
		closer = "]"
	case "{":
		closer = "}"
	default:
		return -1
	}
	depth := 0
	for j := i; j < len(a.t) && j < i+maxMatch; j++ {
		if a.t[j].kind != tkPunct {
			continue
		}
		switch a.t[j].text {
		case open:
			depth++
		case closer:
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// matchBackward returns the index of the '(' matching the ')' at i, or -1.
func (a *analyzer) matchBackward(i int) int {
	depth := 0
	for j := i; j >= 0 && j > i-maxMatch; j-- {
		if a.t[j].kind != tkPunct {
			continue
		}
		switch a.t[j].text {
		case ")":
			depth++
		case "(":
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// isDefinition reports whether the identifier at i is the name in a
