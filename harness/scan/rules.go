package scan

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

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
	lang      language
	receivers []string          // names bound to a JWT module/package
	funcs     map[string]string // local name -> JWT function it is bound to
	findings  []Finding
	defs      []defSite

	// JS/TS bracket tracking for definition detection
	brackets    []byte // '(', '[', '{', or 'T' for a '{' opening a type literal
	pendingType int32  // line of an "interface X"/"type X =" awaiting its '{'
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

func analyze(lang language, src string, toks []token) ([]Finding, []defSite) {
	a := &analyzer{src: src, t: toks, lang: lang}
	switch lang {
	case langPython:
		a.pyImports()
	case langGo:
		a.goImports()
	case langJS:
		a.jsImports()
	}
	a.mainPass()
	return a.findings, a.defs
}

// ---- imports ----

func pyFamily(mod string) string {
	switch {
	case mod == "jwt" || strings.HasPrefix(mod, "jwt."):
		return "PyJWT"
	case mod == "jose" || strings.HasPrefix(mod, "jose."):
		return "python-jose"
	case mod == "authlib.jose" || strings.HasPrefix(mod, "authlib.jose."):
		return "authlib"
	}
	return ""
}

func (a *analyzer) pyDotted(j int) (string, int) {
	if !a.isIdent(j) {
		return "", j
	}
	name := a.t[j].text
	j++
	for a.isP(j, ".") && a.isIdent(j+1) {
		name += "." + a.t[j+1].text
		j += 2
	}
	return name, j
}

func (a *analyzer) pyImports() {
	for i := 0; i < len(a.t); i++ {
		tk := a.t[i]
		if tk.kind != tkIdent || tk.text != "import" && tk.text != "from" {
			continue
		}
		if i > 0 {
			p := a.t[i-1]
			if p.kind != tkNewline && !(p.kind == tkPunct && (p.text == ";" || p.text == ":")) {
				continue
			}
		}
		if tk.text == "import" {
			i = a.pyImport(i + 1)
		} else {
			i = a.pyFrom(i + 1)
		}
	}
}

func (a *analyzer) pyImport(j int) int {
	for {
		at := j
		mod, next := a.pyDotted(j)
		if mod == "" {
			return j
		}
		j = next
		alias := ""
		if a.isI(j, "as") && a.isIdent(j+1) {
			alias = a.t[j+1].text
			j += 2
		}
		if fam := pyFamily(mod); fam != "" {
			a.add(CategoryJWTImport, at, "JWT library import: "+mod+" ("+fam+")")
			if alias != "" {
				a.receivers = append(a.receivers, alias)
			} else {
				a.receivers = append(a.receivers, a.t[at].text)
			}
		}
		if !a.isP(j, ",") {
			return j
		}
		j++
	}
}

func (a *analyzer) pyFrom(j int) int {
	at := j
	mod, j := a.pyDotted(j)
	if mod == "" || !a.isI(j, "import") {
		return j
	}
	j++
	if a.isP(j, "(") {
		j++
	}
	type binding struct{ name, local string }
	var names []binding
	for a.isIdent(j) {
		b := binding{a.t[j].text, a.t[j].text}
		j++
		if a.isI(j, "as") && a.isIdent(j+1) {
			b.local = a.t[j+1].text
			j += 2
		}
		names = append(names, b)
		if !a.isP(j, ",") {
			break
		}
		j++
	}
	fam := pyFamily(mod)
	if fam == "" && mod == "authlib" {
		for _, b := range names {
			if b.name == "jose" {
				fam = "authlib"
			}
		}
	}
	if fam == "" {
		return j
	}
	a.add(CategoryJWTImport, at, "JWT library import: "+mod+" ("+fam+")")
	for _, b := range names {
		if opMethods[b.name] {
			a.bindFunc(b.local, b.name)
		} else {
			a.receivers = append(a.receivers, b.local)
		}
	}
	return j
}

var goFamilies = []struct{ prefix, family string }{
	{"github.com/golang-jwt/jwt", "golang-jwt"},
	{"github.com/dgrijalva/jwt-go", "jwt-go"},
	{"github.com/form3tech-oss/jwt-go", "jwt-go"},
	{"github.com/go-jose/go-jose", "go-jose"},
	{"github.com/square/go-jose", "go-jose"},
	{"gopkg.in/square/go-jose", "go-jose"},
	{"gopkg.in/go-jose/go-jose", "go-jose"},
	{"github.com/lestrrat-go/jwx", "jwx"},
}

func goFamily(p string) string {
	for _, f := range goFamilies {
		if strings.HasPrefix(p, f.prefix) {
			rest := p[len(f.prefix):]
			if rest == "" || rest[0] == '/' || rest[0] == '.' {
				return f.family
			}
		}
	}
	return ""
}

// goPackageName guesses the package name an import path binds by default.
func goPackageName(p string) string {
	elems := strings.Split(p, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = elems[len(elems)-2]
	}
	if k := strings.Index(name, ".v"); k > 0 {
		name = name[:k]
	}
	switch name {
	case "jwt-go":
		return "jwt"
	case "go-jose":
		return "jose"
	}
	return name
}

func (a *analyzer) goImports() {
	for i := 0; i < len(a.t); i++ {
		if !a.isI(i, "import") {
			continue
		}
		j := i + 1
		if a.isP(j, "(") {
			j++
			for j < len(a.t) && !a.isP(j, ")") {
				j = a.goSpec(j)
			}
		} else {
			j = a.goSpec(j)
		}
		i = j - 1
	}
}

func (a *analyzer) goSpec(j int) int {
	alias := ""
	if a.isIdent(j) || a.isP(j, ".") {
		alias = a.t[j].text
		j++
	}
	if j >= len(a.t) || a.t[j].kind != tkString {
		return j + 1
	}
	p := a.t[j].text
	if fam := goFamily(p); fam != "" {
		a.add(CategoryJWTImport, j, "JWT library import: "+p+" ("+fam+")")
		switch alias {
		case "":
			a.receivers = append(a.receivers, goPackageName(p))
		case "_", ".":
		default:
			a.receivers = append(a.receivers, alias)
		}
	}
	return j + 1
}

var jsModules = []struct{ name, family string }{
	{"jsonwebtoken", "jsonwebtoken"},
	{"jose", "jose"},
	{"jwt-decode", "jwt-decode"},
}

func jsFamily(m string) string {
	for _, f := range jsModules {
		if m == f.name || strings.HasPrefix(m, f.name+"/") {
			return f.family
		}
	}
	return ""
}

func (a *analyzer) jsImports() {
	for i, tk := range a.t {
		if tk.kind != tkString {
			continue
		}
		fam := jsFamily(tk.text)
		if fam == "" {
			continue
		}
		switch {
		case a.isI(i-1, "from"):
			a.add(CategoryJWTImport, i, "JWT library import: "+tk.text)
			a.jsStaticBindings(i-1, fam)
		case a.isI(i-1, "import"):
			a.add(CategoryJWTImport, i, "JWT library import: "+tk.text)
		case a.isP(i-1, "(") && (a.isI(i-2, "require") || a.isI(i-2, "import")):
			a.add(CategoryJWTImport, i, "JWT library import: "+tk.text)
			k := i - 3
			if a.isI(k, "await") {
				k--
			}
			if a.isP(k, "=") {
				a.jsAssignBindings(k-1, fam)
			}
		}
	}
}

// bindNamespace records a default or namespace import of a JWT module.
func (a *analyzer) bindNamespace(local, family string) {
	if family == "jwt-decode" {
		a.bindFunc(local, "jwtDecode") // its default export is the decoder
	}
	a.receivers = append(a.receivers, local)
}

func (a *analyzer) bindNamed(name, local string) {
	if opMethods[name] || bareFuncs[name] {
		a.bindFunc(local, name)
	}
}

// jsStaticBindings parses the clause of "import ... from" ending at from.
func (a *analyzer) jsStaticBindings(from int, family string) {
	start := -1
	for k := from - 1; k >= 0 && k >= from-200; k-- {
		if a.isI(k, "import") {
			start = k
			break
		}
		if a.isP(k, ";") || a.isI(k, "export") {
			return
		}
	}
	if start < 0 {
		return
	}
	j := start + 1
	if a.isI(j, "type") && !a.isI(j+1, "from") {
		j++
	}
	for j < from {
		switch {
		case a.isP(j, "*") && a.isI(j+1, "as") && a.isIdent(j+2):
			a.bindNamespace(a.t[j+2].text, family)
			j += 3
		case a.isP(j, "{"):
			j++
			for j < from && !a.isP(j, "}") {
				if a.isI(j, "type") && a.isIdent(j+1) && !a.isP(j+1, ",") {
					j++
				}
				if !a.isIdent(j) {
					j++
					continue
				}
				name, local := a.t[j].text, a.t[j].text
				j++
				if a.isI(j, "as") && a.isIdent(j+1) {
					local = a.t[j+1].text
					j += 2
				}
				a.bindNamed(name, local)
			}
			j++
		case a.isIdent(j):
			a.bindNamespace(a.t[j].text, family)
			j++
		default:
			j++
		}
	}
}

// jsAssignBindings handles "const x = require(m)" and
// "const { a, b: c } = require(m)" where end is the token before '='.
func (a *analyzer) jsAssignBindings(end int, family string) {
	if a.isIdent(end) {
		a.bindNamespace(a.t[end].text, family)
		return
	}
	if !a.isP(end, "}") {
		return
	}
	open := -1
	for k := end - 1; k >= 0 && k >= end-100; k-- {
		if a.isP(k, "{") {
			open = k
			break
		}
	}
	for j := open + 1; open >= 0 && j < end; j++ {
		if !a.isIdent(j) {
			continue
		}
		name, local := a.t[j].text, a.t[j].text
		if a.isP(j+1, ":") && a.isIdent(j+2) {
			local = a.t[j+2].text
			j += 2
		}
		a.bindNamed(name, local)
	}
}

// ---- operations, secrets, definitions ----

func (a *analyzer) mainPass() {
	lastSecretLine := int32(-1)
	for i := 0; i < len(a.t); i++ {
		tk := a.t[i]
		if a.lang == langJS {
			a.trackBrackets(i)
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
		if (containsFold(name, "jwt") || containsFold(name, "token")) && a.isDefinition(i) {
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
	if bound && a.lang == langJS {
		if k := a.matchForward(i + 1); k > 0 && a.jsBodyFollows(k) {
			return // a method definition that shares the name
		}
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
// function or method definition.
func (a *analyzer) isDefinition(i int) bool {
	switch a.lang {
	case langPython:
		return a.isI(i-1, "def") || a.isP(i+1, "=") && a.isI(i+2, "lambda")
	case langGo:
		if a.isI(i-1, "func") {
			return true
		}
		if a.isP(i-1, ")") && (a.isP(i+1, "(") || a.isP(i+1, "[")) {
			if m := a.matchBackward(i - 1); m > 0 && a.isI(m-1, "func") {
				return true
			}
		}
		return (a.isP(i+1, "=") || a.isP(i+1, ":=")) && a.isI(i+2, "func")
	case langJS:
		return a.jsIsDefinition(i)
	}
	return false
}

var jsNotMethodNames = setOf("if", "for", "while", "switch", "catch", "with", "function", "return", "super")

var jsMethodModifiers = setOf("async", "static", "public", "private", "protected", "override", "get", "set")

var jsNoDefAfter = setOf("return", "await", "yield", "new", "typeof", "void", "delete", "throw", "case", "in", "of", "instanceof")

func (a *analyzer) jsIsDefinition(i int) bool {
	if a.isI(i-1, "function") || a.isP(i-1, "*") && a.isI(i-2, "function") {
		j := i + 1
		if a.isP(j, "<") { // generic parameters
			for j < len(a.t) && j < i+40 && !a.isP(j, "(") {
				j++
			}
		}
		if a.isP(j, "(") {
			k := a.matchForward(j)
			return k > 0 && a.jsBodyFollows(k) // overload signatures have no body
		}
		return false
	}
	inner := byte(0)
	if n := len(a.brackets); n > 0 {
		inner = a.brackets[n-1]
	}
	switch {
	case a.isP(i+1, "="):
		return a.jsFuncValue(i + 2)
	case a.isP(i+1, ":"):
		if a.isI(i-1, "const") || a.isI(i-1, "let") || a.isI(i-1, "var") {
			depth := 0
			for j := i + 2; j < len(a.t) && j < i+80; j++ {
				if a.t[j].kind != tkPunct {
					continue
				}
				switch a.t[j].text {
				case "(", "[", "{", "<":
					depth++
				case ")", "]", "}", ">":
					depth--
				case ";":
					return false
				case "=":
					if depth == 0 {
						return a.jsFuncValue(j + 1)
					}
				}
			}
			return false
		}
		if inner != '{' || !(a.isP(i-1, "{") || a.isP(i-1, ",")) {
			return false // parameter annotation, type member, ternary, label
		}
		return a.jsFuncValue(i + 2)
	case a.isP(i+1, "("):
		if inner != '{' || jsNotMethodNames[a.t[i].text] {
			return false
		}
		if !a.jsMethodPrefix(i) {
			return false
		}
		k := a.matchForward(i + 1)
		return k > 0 && a.jsBodyFollows(k)
	}
	return false
}

// jsMethodPrefix: the token before a class/object method name is one that
// can end a previous member or start this one.
func (a *analyzer) jsMethodPrefix(i int) bool {
	if i == 0 {
		return true
	}
	p := a.t[i-1]
	switch p.kind {
	case tkPunct:
		switch p.text {
		case "{", "}", ";", "*", ",":
			return true
		case ")", "]":
			return p.line < a.t[i].line
		}
		return false
	case tkIdent:
		if jsMethodModifiers[p.text] {
			return true
		}
		return p.line < a.t[i].line && !jsNoDefAfter[p.text]
	}
	return p.line < a.t[i].line
}

// jsFuncValue reports whether a function value (function expression or
// arrow function) starts at j.
func (a *analyzer) jsFuncValue(j int) bool {
	if a.isI(j, "async") {
		j++
	}
	if a.isI(j, "function") {
		return true
	}
	if a.isIdent(j) && a.isP(j+1, "=>") {
		return true
	}
	if a.isP(j, "<") { // generic arrow
		for k := j; k < len(a.t) && k < j+40; k++ {
			if a.isP(k, "(") {
				j = k
				break
			}
		}
	}
	if !a.isP(j, "(") {
		return false
	}
	k := a.matchForward(j)
	if k < 0 {
		return false
	}
	if a.isP(k+1, "=>") {
		return true
	}
	if !a.isP(k+1, ":") {
		return false
	}
	for m := k + 2; m < len(a.t) && m < k+60; m++ {
		if a.t[m].kind != tkPunct {
			continue
		}
		switch a.t[m].text {
		case "=>":
			return true
		case ";", "=", "{", "}":
			return false
		}
	}
	return false
}

// jsBodyFollows reports whether the ')' at k closing a parameter list is
// followed (after an optional return-type annotation) by a function body.
func (a *analyzer) jsBodyFollows(k int) bool {
	j := k + 1
	if a.isP(j, "{") {
		return true
	}
	if !a.isP(j, ":") {
		return false
	}
	depth := 0
	for j++; j < len(a.t) && j < k+200; j++ {
		if a.t[j].kind != tkPunct {
			continue
		}
		switch a.t[j].text {
		case "(", "[", "<":
			depth++
		case ")", "]", ">":
			depth--
			if depth < 0 {
				return false
			}
		case "{":
			prev := a.t[j-1]
			typeBrace := depth > 0 || prev.kind == tkPunct && (prev.text == ":" || prev.text == "|" ||
				prev.text == "&" || prev.text == "," || prev.text == "<" || prev.text == "=>" || prev.text == "(")
			if !typeBrace {
				return true
			}
			m := a.matchForward(j)
			if m < 0 {
				return false
			}
			j = m
		case ";", "=", "}":
			if depth == 0 {
				return false
			}
		}
	}
	return false
}

// trackBrackets maintains the JS/TS bracket stack as of token i (brackets
// opened before i), marking braces that open TypeScript type literals.
func (a *analyzer) trackBrackets(i int) {
	if i == 0 {
		return
	}
	p := a.t[i-1]
	if a.pendingType != 0 && p.line > a.pendingType {
		a.pendingType = 0
	}
	switch p.kind {
	case tkIdent:
		if (p.text == "interface" || p.text == "type") && a.isIdent(i) && p.line == a.t[i].line {
			if p.text == "interface" || a.isP(i+1, "=") || a.isP(i+1, "<") {
				a.pendingType = p.line
			}
		}
	case tkPunct:
		switch p.text {
		case "(", "[":
			a.brackets = append(a.brackets, p.text[0])
		case "{":
			b := byte('{')
			if a.pendingType != 0 || len(a.brackets) > 0 && a.brackets[len(a.brackets)-1] == 'T' {
				b = 'T'
			}
			a.pendingType = 0
			a.brackets = append(a.brackets, b)
		case ")", "]", "}":
			if n := len(a.brackets); n > 0 {
				a.brackets = a.brackets[:n-1]
			}
		case ";":
			a.pendingType = 0
		}
	}
}
