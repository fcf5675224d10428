package scan

import (
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// The rules are split by language: this file holds what every language
// shares (the pattern lists, the per-file analyzer and its main pass, the
// registry), and each language has one rules_<lang>.go file defining its
// language value. Adding a language is one new file plus one entry in
// languages. Spell <lang> so that it is not a GOOS or GOARCH: the go tool
// builds rules_js.go only for GOOS=js, hence rules_javascript.go.
//
// One file is analysed in three passes over its tokens: imports (what
// names are bound to a JWT library), definitions (every named function,
// its parameters and the token range of its body) and the main pass (JWT
// calls, secret reads and mentions, and what each function's body does).
// Cross-file judgements — which functions are token validators — are made
// in validators.go once every file is done.

// language is everything the scanner knows about one source language.
type language struct {
	// exts are the file extensions the language claims, lower-case with
	// the dot. No two languages share an extension.
	exts []string
	// lex appends the tokens of src to toks (see lexer.go).
	lex func(src string, toks []token) []token
	// isTestFile reports whether a file named base is a test by its name
	// alone (test directories are language-independent: paths.go).
	isTestFile func(base string) bool
	// imports records the file's JWT imports as jwt_import findings and
	// the names they bind (receivers, funcs).
	imports func(a *analyzer)
	// defs fills a.defs with the file's named function definitions.
	defs func(a *analyzer)
	// binds reports whether the identifier at j binds its name in a local
	// scope (an assignment or declaration), shadowing an import.
	binds func(a *analyzer, j int) bool
	// destructures: "{ a } = obj" reads obj.a (JavaScript, TypeScript).
	destructures bool
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

// opMethods are JWT operations recognised when called on a name bound to
// a JWT library (import jwt; import jwt as pyjwt; from jose import jwt; Go
// import aliases; import * as x from 'jsonwebtoken'; const x = require(...)).
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

// bareFuncs are JWT functions exported by name (jose's jwtVerify,
// jwt-decode's jwtDecode); they count as plain calls when a named import
// binds them, and as methods of a bound namespace.
var bareFuncs = setOf("jwtVerify", "jwtDecrypt", "jwtDecode", "decodeJwt", "decodeProtectedHeader",
	"SignJWT", "EncryptJWT", "UnsecuredJWT")

// verifyOps decode, verify or parse a token: a function calling one is a
// token validator. The others (encode, sign, New...) issue tokens.
var verifyOps = setOf("decode", "verify", "decode_complete", "get_unverified_header", "get_unverified_claims",
	"Parse", "ParseWithClaims", "ParseUnverified", "ParseString", "ParseRequest", "ParseHeader",
	"ParseSigned", "ParseEncrypted", "ParseInsecure", "Verify", "Validate",
	"jwtVerify", "jwtDecrypt", "jwtDecode", "decodeJwt", "decodeProtectedHeader")

// validatorNameRE is matched against a defined function's name, lower-cased
// with underscores removed: a verb, then "token" or "jwt" somewhere.
var validatorNameRE = regexp.MustCompile(`^(validate|verify|decode|parse|check|authenticate|introspect)[a-z0-9]*(token|jwt)`)

// getterCallees read a value by the name given as their first argument:
// os.getenv("JWT_SECRET"), os.environ.get(...), viper.GetString(...),
// config("JWT_SECRET") (python-decouple), env("JWT_SECRET").
var getterCallees = setOf("getenv", "Getenv", "LookupEnv", "get", "Get", "GetString", "getString",
	"GetBytes", "MustGet", "MustGetString", "setdefault", "config", "env", "get_secret", "getSecret",
	"GetSecret", "get_secret_value", "getenvb")

// envNames mark an environment lookup when they are the receiver or the
// callee of a read (os.environ, process.env, Deno.env, os.Getenv).
var envNames = setOf("environ", "env", "getenv", "Getenv", "LookupEnv", "getenvb")

// noIndexKeywords end an expression's left side: "return [" opens a list,
// not a subscript.
var noIndexKeywords = setOf("return", "in", "yield", "await", "else", "and", "or", "not", "is", "if",
	"case", "of", "typeof", "print", "assert", "del", "lambda", "elif", "while", "for", "from", "import")

// Calls a function body makes that matter to the validator rules.
const (
	callHTTP  uint8 = 1 << iota // an HTTP request: the auth service over the wire
	callSplit                   // split(...), strings.Split(...): maybe on "."
)

// callKind says what a call of name tells about a body (a switch: this
// runs for every call in every function).
func callKind(name string) uint8 {
	switch name {
	case "get", "post", "put", "patch", "request", "fetch", "urlopen", "axios", "Get", "Post",
		"PostForm", "Do", "NewRequest", "NewRequestWithContext":
		return callHTTP
	case "split", "rsplit", "Split", "SplitN":
		return callSplit
	}
	return 0
}

// pydanticValidators decorate field validators: validate_refresh_token
// under @field_validator checks a field's format, not a token.
var pydanticValidators = setOf("field_validator", "validator", "model_validator", "root_validator",
	"validates", "validates_schema")

// maxWrapperTokens is the largest body (in tokens) that "only wraps" the
// function it calls.
const maxWrapperTokens = 40

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
	return indexFold(s, sub, 0) >= 0
}

// indexFold is the index of the lower-case ASCII word sub in s at or after
// from, ignoring ASCII case, or -1.
func indexFold(s, sub string, from int) int {
	n := len(sub)
	for i := from; i+n <= len(s); i++ {
		if s[i]|0x20 != sub[0] {
			continue
		}
		j := 1
		for j < n && s[i+j]|0x20 == sub[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

// mentionsSecret: s contains both "jwt" and "secret" (ASCII, any case).
func mentionsSecret(s string) bool {
	return len(s) >= 9 && containsFold(s, "jwt") && containsFold(s, "secret")
}

// secretSuffixes may follow "secret" in the name of the secret itself:
// JWT_SECRET_KEY, jwtSecretValue, JWT_SECRET_FILE, JWT_SECRET_B64.
var secretSuffixes = setOf("", "key", "keys", "s", "value", "bytes", "b64", "base64", "str", "string",
	"hex", "raw", "file", "path")

// secretName reports whether s names the JWT secret itself — "jwt", then
// "secret", then at most a key-like suffix — rather than something about
// it (JwtSecretDriftMonitor, jwt_secret_manager, JWT_SECRET_ROTATION_DAYS).
func secretName(s string) bool {
	if !mentionsSecret(s) {
		return false
	}
	k, last := -1, -1
	for {
		k = indexFold(s, "secret", k+1)
		if k < 0 {
			break
		}
		last = k
	}
	if last < 0 || indexFold(s[:last], "jwt", 0) < 0 {
		return false
	}
	var b [16]byte
	n := 0
	for i := last + 6; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c |= 0x20
		case c >= 'a' && c <= 'z' || isDigit(c):
		default:
			continue // separators
		}
		if n == len(b) {
			return false
		}
		b[n] = c
		n++
	}
	for n > 0 && isDigit(b[n-1]) {
		n--
	}
	return secretSuffixes[string(b[:n])]
}

// getterVerbs may precede the secret's name in a function that returns it.
var getterVerbs = []string{"get", "fetch", "load", "read", "resolve", "lookup", "retrieve", "require", "must", "current"}

// getterName reports whether calling a function of this name reads the
// secret: the secret's name alone (jwt_secret(), JWTSecret()) or after a
// getter verb (get_jwt_secret, getJwtSecret, load_jwt_secret_key).
func getterName(s string) bool {
	if !secretName(s) {
		return false
	}
	k := indexFold(s, "jwt", 0)
	prefix := strings.Trim(s[:k], "_$")
	if prefix == "" {
		return true
	}
	for _, v := range getterVerbs {
		if len(prefix) >= len(v) && strings.EqualFold(prefix[:len(v)], v) {
			return true
		}
	}
	return false
}

// nameLike: a string that could be the name of a variable, a setting or a
// key path ("JWT_SECRET", "auth.jwt_secret", "jwt-secret"), not a
// sentence, a template or a format string.
func nameLike(s string) bool {
	if len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentPart(c) && c < 0x80 || c == '.' || c == '-' || c == ':' || c == '/') {
			return false
		}
	}
	return true
}

// validateURL: a string that looks like the path of a token-validation
// endpoint ("/auth/validate", "/oauth2/introspect").
func validateURL(s string) bool {
	return strings.IndexByte(s, '/') >= 0 && (containsFold(s, "validat") || containsFold(s, "verif") ||
		containsFold(s, "introspect") || containsFold(s, "tokeninfo"))
}

// groupKey is the name a validator is grouped under across files and
// languages: validate_token and validateToken are one name.
func groupKey(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}

// keyOf groups the validator sites a message lists: validator-like names
// by groupKey, across languages; any other name (handle, Handle) only with
// the very same name. The two never meet: a folded key starts with a byte
// no identifier starts with.
func keyOf(name string) string {
	if validatorNamed(name) {
		return "\x00" + groupKey(name)
	}
	return name
}

// validatorNamed reports whether a function's name reads like a token
// validator's (validatorNameRE): validate_token, verifyJwt, ParseToken.
func validatorNamed(name string) bool {
	if !containsFold(name, "token") && !containsFold(name, "jwt") {
		return false
	}
	return validatorNameRE.MatchString(strings.TrimLeft(groupKey(name), "$"))
}

// ---- per-file analysis ----

// funcDef is a named function definition in the file being analysed.
type funcDef struct {
	name       string
	at         int    // token index of the name
	params     [2]int // token range of the parameters
	body       [2]int // token range of the body
	decorators []string

	// What the main pass saw directly in the body (nested definitions
	// keep their own).
	verifies    string   // the first verify-kind JWT operation, as written
	hmac        bool     // an HMAC is computed or compared
	splitDot    bool     // something is split on "."
	httpCall    bool     // an HTTP request is made
	validateURL bool     // a string names a validation endpoint
	calls       []string // names called, kept for short bodies only
}

func (d *funcDef) short() bool { return d.body[1]-d.body[0] <= maxWrapperTokens }

// funcInfo is what the validator rules need to know about one function
// definition, once its file is done.
type funcInfo struct {
	name       string
	line, col  int
	snippet    string
	lineSum    lineSum
	verifies   string // the first JWT decode/verify call in the body, "" if none
	manual     bool   // an HMAC over a token split on "."
	http       bool   // calls a validation endpoint over HTTP
	pydantic   bool   // a pydantic (or marshmallow) field validator
	named      bool   // named like a token validator
	short      bool
	calls      []string
	reportable bool // line, col, snippet and lineSum are filled in
	emitted    bool // the file's analysis already reported it (validators.go)
}

type analyzer struct {
	src        string
	t          []token
	lang       *language
	match      []int32           // for each bracket token, the index of its partner, or -1
	receivers  []string          // names bound to a JWT module/package
	funcs      map[string]string // local name -> JWT function it is bound to
	imports    [][2]int          // Python: token ranges of import statements
	defs       []funcDef         // sorted by body start
	defAt      []int             // token indices of definition names, ascending
	stack      []int             // indices into defs of the definitions open at the current token
	bound      []int             // token indices of identifiers named like an import binding, ascending
	boundSet   []string          // every name an import binds (receivers and funcs)
	findings   []Finding
	messages   map[string]string // operation messages by call (opMessage)
	secretMsgs map[msgKey]string // secret messages (secretMsg)
	lastLine   lastLine          // the line of the last site

	secretLine int32 // line of the last secret finding, to keep one per line
	secretAt   int   // its index in findings
	secretRead bool  // whether it is a read

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
	return slices.Contains(a.receivers, name)
}

func (a *analyzer) bindFunc(local, fn string) {
	if a.funcs == nil {
		a.funcs = map[string]string{}
	}
	a.funcs[local] = fn
}

// site returns the column (1-based, in runes), the snippet and the line
// digest of the token at byte offset off.
//
// Findings often share a line (a call and a secret read): the snippet and
// digest of the last line are kept, unless the line is so long (minified)
// that the snippet depends on where in it the finding is.
func (a *analyzer) site(off int) (int, string, lineSum) {
	if l := &a.lastLine; l.valid && off >= l.start && off <= l.end {
		return utf8.RuneCountInString(a.src[l.start:off]) + 1, l.snippet, l.sum
	}
	start, end := lineBounds(a.src, off)
	snippet, sum := snippetOf(a.src, off, start, end), sumLine(a.src, off, start, end)
	a.lastLine = lastLine{valid: end-start <= 4096, start: start, end: end, snippet: snippet, sum: sum}
	return utf8.RuneCountInString(a.src[start:off]) + 1, snippet, sum
}

// lastLine is the line of the last site (analyzer.site).
type lastLine struct {
	valid      bool
	start, end int
	snippet    string
	sum        lineSum
}

func (a *analyzer) add(rule Rule, at int, msg string) {
	tk := a.t[at]
	col, snippet, sum := a.site(int(tk.off))
	a.findings = append(a.findings, Finding{
		Rule:       rule,
		Confidence: ruleConfidence(rule),
		Line:       int(tk.line),
		Column:     col,
		Snippet:    snippet,
		Message:    msg,
		line:       sum,
	})
}

// analysisBuffers are the analyzer's working slices, reused from file to
// file by a worker: nothing returned from analyze points into them.
type analysisBuffers struct {
	match               []int32
	defs                []funcDef
	defAt, stack, bound []int
	boundSet            []string
	findings            []Finding
}

// analyze runs the rules over one file's tokens, returning its findings in
// report order. buf, if not nil, holds working slices to reuse.
func analyze(lang *language, src string, toks []token, buf *analysisBuffers) ([]Finding, []funcInfo) {
	a := &analyzer{src: src, t: toks, lang: lang, secretLine: -1}
	if buf != nil {
		a.match, a.defs, a.defAt, a.stack, a.bound, a.boundSet, a.findings =
			buf.match[:0], buf.defs[:0], buf.defAt[:0], buf.stack[:0], buf.bound[:0], buf.boundSet[:0], buf.findings[:0]
		defer func() {
			clear(a.findings) // drop what the buffer holds on to
			*buf = analysisBuffers{a.match, a.defs, a.defAt, a.stack, a.bound, a.boundSet, a.findings}
		}()
	}
	a.matchBrackets()
	lang.imports(a)
	a.boundSet = append(a.boundSet, a.receivers...)
	for name := range a.funcs {
		a.boundSet = append(a.boundSet, name)
	}
	lang.defs(a)
	a.prepareDefs()
	a.mainPass()
	funcs, local := a.funcInfos()
	return mergeFindings(a.findings, local), funcs
}

// mergeFindings merges two lists of one file's findings, each nearly in
// report order (the main pass's in token order, the definitions' in body
// order), into a new slice of the exact size: x may be a reused buffer.
// The usual case is one copy and no sort.
func mergeFindings(x, y []Finding) []Finding {
	if len(x)+len(y) == 0 {
		return nil
	}
	if !findingsSorted(x) {
		sortFindings(x)
	}
	if !findingsSorted(y) {
		sortFindings(y)
	}
	out := make([]Finding, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if compareFindings(&y[j], &x[i]) < 0 {
			out = append(out, y[j])
			j++
		} else {
			out = append(out, x[i])
			i++
		}
	}
	out = append(out, x[i:]...)
	return append(out, y[j:]...)
}

func findingsSorted(fs []Finding) bool {
	for i := 1; i < len(fs); i++ {
		if compareFindings(&fs[i-1], &fs[i]) > 0 {
			return false
		}
	}
	return true
}

// matchBrackets pairs every (, [ and { with its closer of the same kind in
// one pass, so that finding a body's end is a lookup however long the body
// (and however unbalanced the file).
func (a *analyzer) matchBrackets() {
	if cap(a.match) < len(a.t) {
		a.match = make([]int32, len(a.t))
	}
	a.match = a.match[:len(a.t)]
	var open [3][]int32
	for i := range a.t {
		tk := &a.t[i]
		a.match[i] = -1
		if tk.kind != tkPunct || len(tk.text) != 1 {
			continue
		}
		var k int
		switch tk.text[0] {
		case '(':
			k = 0
		case '[':
			k = 1
		case '{':
			k = 2
		case ')':
			k = 3
		case ']':
			k = 4
		case '}':
			k = 5
		default:
			continue
		}
		if k < 3 {
			open[k] = append(open[k], int32(i))
			continue
		}
		s := &open[k-3]
		if n := len(*s); n > 0 {
			o := (*s)[n-1]
			*s = (*s)[:n-1]
			a.match[o], a.match[i] = int32(i), o
		}
	}
}

// partner is the index of the bracket paired with the one at i, or -1.
func (a *analyzer) partner(i int) int {
	if i < 0 || i >= len(a.match) {
		return -1
	}
	return int(a.match[i])
}

// prepareDefs sorts the definitions by body start and lists their names.
func (a *analyzer) prepareDefs() {
	for _, d := range a.defs {
		a.defAt = append(a.defAt, d.at)
	}
	slices.Sort(a.defAt)
	slices.SortStableFunc(a.defs, func(x, y funcDef) int { return x.body[0] - y.body[0] })
}

// ---- the main pass: operations, secrets, what bodies do ----

func (a *analyzer) mainPass() {
	nextDef, nextName := 0, 0
	minEnd := len(a.t) + 1 // the earliest end of an open definition's body
	for i := 0; i < len(a.t); i++ {
		if i >= minEnd {
			a.stack = slices.DeleteFunc(a.stack, func(k int) bool { return a.defs[k].body[1] <= i })
			minEnd = a.stackMinEnd()
		}
		for nextDef < len(a.defs) && a.defs[nextDef].body[0] <= i {
			if a.defs[nextDef].body[1] > i {
				a.stack = append(a.stack, nextDef)
				minEnd = min(minEnd, a.defs[nextDef].body[1])
			}
			nextDef++
		}
		tk := a.t[i]
		switch tk.kind {
		case tkString:
			if tk.flags&flagDoc != 0 {
				continue
			}
			if len(a.stack) > 0 && validateURL(tk.text) {
				a.defs[a.stack[len(a.stack)-1]].validateURL = true
			}
			if mentionsSecret(tk.text) && nameLike(tk.text) {
				a.secretString(i)
			}
			continue
		case tkIdent:
		default:
			continue
		}
		for nextName < len(a.defAt) && a.defAt[nextName] < i {
			nextName++
		}
		isDef := nextName < len(a.defAt) && a.defAt[nextName] == i
		if a.isBound(tk.text) {
			a.bound = append(a.bound, i)
		}
		if mentionsSecret(tk.text) {
			a.secretIdent(i, isDef)
		}
		if !isDef && a.isP(i+1, "(") {
			a.call(i)
		}
	}
}

func (a *analyzer) stackMinEnd() int {
	m := len(a.t) + 1
	for _, k := range a.stack {
		m = min(m, a.defs[k].body[1])
	}
	return m
}

// call looks at name( at i: a JWT operation, and what it tells about the
// enclosing function's body.
func (a *analyzer) call(i int) {
	op, verify := a.checkCall(i)
	if len(a.stack) == 0 {
		return
	}
	d := &a.defs[a.stack[len(a.stack)-1]]
	if verify {
		if d.verifies == "" {
			d.verifies = op
		}
	}
	name := a.t[i].text
	if d.short() {
		d.calls = append(d.calls, name)
	}
	switch k := callKind(name); {
	case k&callHTTP != 0:
		d.httpCall = true
	case k&callSplit != 0:
		for j := i + 2; j < len(a.t) && j < i+8 && !a.isP(j, ")"); j++ {
			if a.t[j].kind == tkString && a.t[j].text == "." {
				d.splitDot = true
			}
		}
	}
	if a.isI(i-2, "hmac") && a.isP(i-1, ".") || name == "createHmac" || name == "compare_digest" {
		d.hmac = true
	}
}

// checkCall reports t[i]( when it is a JWT operation, returning the call
// as written and whether it decodes or verifies a token.
func (a *analyzer) checkCall(i int) (string, bool) {
	name := a.t[i].text
	if a.isP(i-1, ".") {
		anyRecv := anyReceiverMethods[name]
		if !anyRecv && !opMethods[name] && !bareFuncs[name] {
			return "", false
		}
		start := i
		for a.isP(start-1, ".") && a.isIdent(start-2) {
			start -= 2
		}
		resolved := anyRecv
		if !resolved && start < i && !a.isP(start-1, ".") {
			root := a.t[start].text
			resolved = a.isReceiver(root) && !a.shadowed(start, root)
		}
		if !resolved && start == i && a.isP(i-2, ")") {
			resolved = a.requiresJWT(i - 2)
		}
		if !resolved {
			return "", false
		}
		from := start
		if a.isP(start-1, ".") {
			from-- // the receiver is a call or index result: ".name"
		}
		call := a.joined(from, i)
		a.addOp(start, call, "")
		return call, verifyOps[name]
	}
	fn, bound := a.funcs[name]
	if !bound || a.shadowed(i, name) {
		return "", false
	}
	via := fn
	if fn == name {
		via = ""
	}
	a.addOp(i, name, via)
	return name, verifyOps[fn]
}

// joined is the text of tokens from..to: a slice of the source when they
// are written without space between them (the usual case), else built.
func (a *analyzer) joined(from, to int) string {
	start := int(a.t[from].off)
	if end := a.tokenEnd(to); end > start {
		s := a.src[start:end]
		if strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == '#' || r == '/' && len(s) > 1 }) < 0 {
			return s
		}
	}
	var b strings.Builder
	for k := from; k <= to; k++ {
		if a.t[k].kind == tkString {
			b.WriteString(`"` + a.t[k].text + `"`)
		} else {
			b.WriteString(a.t[k].text)
		}
	}
	return b.String()
}

// tokenEnd is the offset just after the token at k in the source: after
// a string's closing quote(s). It is -1 when the source does not show the
// token ending as expected (an unterminated string).
func (a *analyzer) tokenEnd(k int) int {
	tk := a.t[k]
	if tk.kind != tkString {
		return int(tk.off) + len(tk.text)
	}
	q := int(tk.off)
	for q < len(a.src) && a.src[q] != '"' && a.src[q] != '\'' && a.src[q] != '`' {
		q++ // a Python prefix
	}
	if q >= len(a.src) {
		return -1
	}
	n := 1
	if q+2 < len(a.src) && a.src[q+1] == a.src[q] && a.src[q+2] == a.src[q] && !strings.HasPrefix(a.src[q+1:], tk.text+string(a.src[q])) {
		n = 3
	}
	end := q + n + len(tk.text)
	if end+n > len(a.src) || a.src[end:end+n] != strings.Repeat(a.src[q:q+1], n) {
		return -1
	}
	return end + n
}

// opMessage is the message of a JWT operation written call, built once
// per file for each distinct call: a file usually repeats the same one.
func (a *analyzer) opMessage(call string) string {
	if m, ok := a.messages[call]; ok {
		return m
	}
	if a.messages == nil {
		a.messages = map[string]string{}
	}
	m := "JWT operation: " + call + "("
	a.messages[call] = m
	return m
}

// requiresJWT reports whether the ')' at k closes require('<JWT module>').
func (a *analyzer) requiresJWT(k int) bool {
	o := a.partner(k)
	return o > 0 && a.isI(o-1, "require") && o+2 == k && a.t[o+1].kind == tkString && jsFamily(a.t[o+1].text) != ""
}

// addOp reports the call call( whose callee starts at token start; via
// names the JWT function a local name is bound to.
func (a *analyzer) addOp(start int, call, via string) {
	if a.isI(start-1, "new") {
		start--
		call = "new " + call
	}
	if via != "" {
		a.add(RuleJWTOperation, start, "JWT operation: "+call+"( ("+via+")")
		return
	}
	a.add(RuleJWTOperation, start, a.opMessage(call))
}

// shadowed reports whether name, at token k, is a parameter or a local of
// an enclosing function rather than the file's JWT import (a variable jwt
// holding bytes: jwt.decode("utf-8")).
//
// The main pass records every identifier named like a binding (a.bound),
// so only those are looked at: the parameters of each enclosing function,
// and its body before k.
func (a *analyzer) shadowed(k int, name string) bool {
	from := func(j int) int { return sort.SearchInts(a.bound, j) }
	for s := len(a.stack) - 1; s >= 0; s-- {
		d := &a.defs[a.stack[s]]
		for n := from(d.params[0]); n < len(a.bound) && a.bound[n] < d.params[1]; n++ {
			if j := a.bound[n]; a.t[j].text == name && a.paramName(j) {
				return true
			}
		}
		for n := from(d.body[0]); n < len(a.bound) && a.bound[n] < min(k, d.body[1]); n++ {
			if j := a.bound[n]; a.t[j].text == name && a.lang.binds(a, j) {
				return true
			}
		}
	}
	return false
}

// isBound: name is bound by an import, as a namespace or a function.
func (a *analyzer) isBound(name string) bool {
	return slices.Contains(a.boundSet, name)
}

// paramName: the identifier at j, inside a parameter list, is a
// parameter's name rather than part of a type or a default value.
func (a *analyzer) paramName(j int) bool {
	if a.isP(j+1, ".") || a.isP(j+1, "(") {
		return false
	}
	p := a.t[j-1]
	if p.kind == tkIdent {
		return p.text == "lambda"
	}
	switch p.text {
	case "(", ",", "*", "...", "{", "[", "&":
		return true
	}
	return false
}

// ---- secrets ----

// addSecret records a secret read or mention at i, one finding per line:
// a read replaces a mention on its line.
func (a *analyzer) addSecret(i int, read bool, msg string) {
	rule := RuleSecretMention
	if read {
		rule = RuleSecretRead
	}
	if a.t[i].line == a.secretLine {
		if read && !a.secretRead {
			n := len(a.findings)
			a.add(rule, i, msg)
			a.findings[a.secretAt] = a.findings[n]
			a.findings = a.findings[:n]
			a.secretRead = true
		}
		return
	}
	a.secretLine, a.secretAt, a.secretRead = a.t[i].line, len(a.findings), read
	a.add(rule, i, msg)
}

func (a *analyzer) mention(i int, name string) {
	a.addSecret(i, false, a.secretMsg(msgMention, name))
}

// The kinds of secret message (secretMsg).
const (
	msgMention      uint8 = iota // "JWT secret named, not read: NAME"
	msgRead                      // "JWT secret read: EXPR"
	msgEnv                       // "JWT secret read from the environment: EXPR"
	msgReadCall                  // "JWT secret read: EXPR()"
	msgReadMore                  // "JWT secret read: EXPR, …)" (more arguments follow)
	msgEnvMore                   // the same, from the environment
	msgDestructured              // "JWT secret read: NAME (destructured)"
)

type msgKey struct {
	kind uint8
	expr string
}

// secretMsg is the message of a secret finding about expr (as written in
// the source), built once per file for each distinct one.
func (a *analyzer) secretMsg(kind uint8, expr string) string {
	k := msgKey{kind, expr}
	if m, ok := a.secretMsgs[k]; ok {
		return m
	}
	q := quoteName(expr)
	var m string
	switch kind {
	case msgMention:
		m = "JWT secret named, not read: " + q
	case msgRead:
		m = "JWT secret read: " + q
	case msgEnv:
		m = "JWT secret read from the environment: " + q
	case msgReadCall:
		m = "JWT secret read: " + q + "()"
	case msgReadMore:
		m = "JWT secret read: " + q + ", …)"
	case msgEnvMore:
		m = "JWT secret read from the environment: " + q + ", …)"
	case msgDestructured:
		m = "JWT secret read: " + q + " (destructured)"
	}
	if a.secretMsgs == nil {
		a.secretMsgs = map[msgKey]string{}
	}
	a.secretMsgs[k] = m
	return m
}

// chainStart is the first token of the receiver chain ending at the
// identifier k (os for os.environ.get).
func (a *analyzer) chainStart(k int) int {
	start := k
	for a.isP(start-1, ".") && a.isIdent(start-2) && k-start < 16 {
		start -= 2
	}
	return start
}

func (a *analyzer) inImport(i int) bool {
	k := sort.Search(len(a.imports), func(k int) bool { return a.imports[k][1] > i })
	return k < len(a.imports) && a.imports[k][0] <= i
}

// secretIdent classifies an identifier containing "jwt" and "secret".
func (a *analyzer) secretIdent(i int, isDef bool) {
	name := a.t[i].text
	if isDef || a.inImport(i) {
		a.mention(i, name)
		return
	}
	if a.isP(i+1, "(") { // a call: a getter returns the secret
		if getterName(name) && !a.isI(i-1, "class") && !a.isI(i-1, "new") && !a.isP(i-1, "@") {
			a.addSecret(i, true, a.secretMsg(msgReadCall, a.joined(a.chainStart(i), i)))
			return
		}
		a.mention(i, name)
		return
	}
	if a.isP(i-1, ".") { // an attribute: settings.JWT_SECRET
		recv := ""
		if a.isIdent(i - 2) {
			recv = a.t[i-2].text
		}
		if secretName(name) && !a.isP(i+1, "=") && !a.isP(i+1, ":=") && recv != "self" && recv != "this" && recv != "cls" {
			kind := msgRead
			if envNames[recv] {
				kind = msgEnv
			}
			a.addSecret(i, true, a.secretMsg(kind, a.joined(a.chainStart(i), i)))
			return
		}
		a.mention(i, name)
		return
	}
	if a.lang.destructures && secretName(name) && a.destructuredRead(i) {
		a.addSecret(i, true, a.secretMsg(msgDestructured, name))
		return
	}
	a.mention(i, name)
}

// secretString classifies a name-like string containing "jwt" and "secret".
func (a *analyzer) secretString(i int) {
	text := a.t[i].text
	switch {
	case a.inImport(i):
	case a.isP(i-1, "[") && a.isP(i+1, "]") && a.indexable(i-2) && !a.isP(i+2, "="):
		if secretName(text) {
			from, kind := i-1, msgRead
			if a.isIdent(i - 2) {
				from = a.chainStart(i - 2)
				if envNames[a.t[i-2].text] {
					kind = msgEnv
				}
			}
			a.addSecret(i, true, a.secretMsg(kind, a.joined(from, i+1)))
			return
		}
	default:
		callee, arg := a.callArg(i)
		if callee < 0 || !secretName(text) || a.isI(callee-1, "def") || a.isI(callee-1, "func") {
			break
		}
		name := a.t[callee].text
		env := envNames[name] || a.isP(callee-1, ".") && a.isIdent(callee-2) && envNames[a.t[callee-2].text]
		if arg == 0 && getterCallees[name] || arg == 1 && name == "getattr" {
			kind, end := msgRead, i+1 // through the closing ')'
			switch {
			case env && a.isP(i+1, ")"):
				kind = msgEnv
			case env:
				kind, end = msgEnvMore, i
			case !a.isP(i+1, ")"):
				kind, end = msgReadMore, i
			}
			a.addSecret(i, true, a.secretMsg(kind, a.joined(a.chainStart(callee), end)))
			return
		}
	}
	a.mention(i, text)
}

// callArg finds the call whose argument list holds the string at i as a
// whole argument: the callee's token index and the argument's position,
// or -1.
func (a *analyzer) callArg(i int) (int, int) {
	if !(a.isP(i+1, ")") || a.isP(i+1, ",")) {
		return -1, 0
	}
	arg := 0
	for k := i - 1; k >= 0 && k > i-64; k-- {
		tk := a.t[k]
		if tk.kind != tkPunct {
			continue
		}
		switch tk.text {
		case ")", "]", "}":
			if k = a.partner(k); k < 0 {
				return -1, 0
			}
		case ",":
			arg++
		case "(":
			if a.isIdent(k - 1) {
				return k - 1, arg
			}
			return -1, 0
		case "[", "{", ";", "=", ":":
			return -1, 0
		}
	}
	return -1, 0
}

// indexable: the token at k can be indexed (a name, a call or an index
// result), so a '[' after it is a subscript rather than a list.
func (a *analyzer) indexable(k int) bool {
	if k < 0 {
		return false
	}
	tk := a.t[k]
	if tk.kind == tkIdent {
		return !noIndexKeywords[tk.text]
	}
	return tk.kind == tkPunct && (tk.text == ")" || tk.text == "]")
}

// destructuredRead: the identifier at i is a property pulled out of an
// object by destructuring: const { JWT_SECRET } = process.env.
func (a *analyzer) destructuredRead(i int) bool {
	depth := 0
	for k := i - 1; k >= 0 && k > i-64; k-- {
		if a.t[k].kind != tkPunct {
			continue
		}
		switch a.t[k].text {
		case "}", ")", "]":
			depth++
		case "(", "[":
			if depth == 0 {
				return false
			}
			depth--
		case "{":
			if depth > 0 {
				depth--
				continue
			}
			if !(a.isI(k-1, "const") || a.isI(k-1, "let") || a.isI(k-1, "var") || a.isP(k-1, "(")) {
				return false
			}
			m := a.partner(k)
			return m > i && a.isP(m+1, "=")
		case ";":
			return false
		}
	}
	return false
}

func quoteName(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:59]) + "…"
	}
	return redact(s)
}

// ---- what the validator rules need ----

// funcInfos describes every definition for validators.go, and returns the
// findings the file alone decides about them.
func (a *analyzer) funcInfos() ([]funcInfo, []Finding) {
	if len(a.defs) == 0 {
		return nil, nil
	}
	var local []Finding
	out := make([]funcInfo, 0, len(a.defs))
	for k := range a.defs {
		d := &a.defs[k]
		fi := funcInfo{
			name:   d.name,
			manual: d.hmac && d.splitDot,
			http:   d.httpCall && d.validateURL,
			named:  validatorNamed(d.name),
			short:  d.short(),
		}
		fi.verifies = d.verifies
		for _, dec := range d.decorators {
			if pydanticValidators[dec[strings.LastIndexByte(dec, '.')+1:]] {
				fi.pydantic = true
			}
		}
		if fi.short {
			slices.Sort(d.calls)
			fi.calls = slices.Compact(d.calls)
		}
		if fi.verifies != "" || fi.manual || fi.named || fi.short && len(fi.calls) > 0 {
			tk := a.t[d.at]
			fi.line = int(tk.line)
			fi.col, fi.snippet, fi.lineSum = a.site(int(tk.off))
			fi.reportable = true
		}
		// What the file alone decides is reported here, in parallel;
		// validators.go adds wrappers and the sites of shared names.
		if f, ok := fi.localFinding(); ok {
			local = append(local, f)
			fi.emitted = true
		}
		out = append(out, fi)
	}
	return out, local
}
