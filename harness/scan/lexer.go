package scan

import "strings"

// The lexers turn a source file into a flat token stream. Comments never
// become tokens, and string literals become opaque tkString tokens whose
// contents only the import and secret rules look at; every other rule sees
// identifiers and punctuation only. This is the token-level equivalent of
// "blank comments and strings, then match on the cleaned text", and it
// keeps line numbers and byte offsets exact, including inside multi-line
// strings and comments.

type tokKind uint8

const (
	tkIdent   tokKind = iota + 1
	tkString          // string literal; text is the raw contents between the quotes
	tkNumber          // number literal, and (JS/TS) regular-expression literal
	tkPunct           // operator or delimiter
	tkNewline         // Python only: end of a logical line (bracket depth 0)
)

// flagDoc marks a Python string that is a statement on its own (a
// docstring or a string used as a comment). No rule looks at it.
const flagDoc uint8 = 1

type token struct {
	kind  tokKind
	flags uint8
	line  int32 // 1-based line of the token's first byte
	off   int32 // byte offset of the token's first byte in the file
	text  string
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// punctLen is the length of the operator starting at src[i]. Only the
// operators the rules care to tell apart are joined; the rest are one byte.
func punctLen(src string, i int) int {
	if i+2 < len(src) {
		switch src[i : i+3] {
		case "===", "!==", "...":
			return 3
		}
	}
	if i+1 < len(src) {
		switch src[i : i+2] {
		case "==", "!=", "<=", ">=", "=>", ":=", "->", "&&", "||", "?.":
			return 2
		}
	}
	return 1
}

func emitPunct(toks []token, src string, i int, line int32) ([]token, int) {
	l := punctLen(src, i)
	text := src[i : i+l]
	if text == "?." {
		text = "." // optional chaining: a?.b( is a method call like a.b(
	}
	return append(toks, token{kind: tkPunct, line: line, off: int32(i), text: text}), i + l
}

func scanIdent(src string, i int) int {
	for i < len(src) && isIdentPart(src[i]) {
		i++
	}
	return i
}

func scanNumber(src string, i int) int {
	i++
	for i < len(src) && (isIdentPart(src[i]) || src[i] == '.') {
		i++
	}
	return i
}

// skipLine returns the index of the next '\n' at or after i (or len(src)).
func skipLine(src string, i int) int {
	if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// skipBlockComment skips a /* */ comment starting at i.
func skipBlockComment(src string, i int, line int32) (int, int32) {
	end := strings.Index(src[i+2:], "*/")
	stop := len(src)
	if end >= 0 {
		stop = i + 2 + end + 2
	}
	line += int32(strings.Count(src[i:stop], "\n"))
	return stop, line
}

// scanQuoted scans a single-line quoted literal whose opening quote is at
// q. Backslash escapes are honoured, an escaped newline continues the
// literal, and an unescaped newline ends an unterminated one.
func scanQuoted(src string, q int, line int32) (contents string, next int, newLine int32) {
	qc := src[q]
	j := q + 1
	for j < len(src) {
		c := src[j]
		if c == '\\' {
			if j+1 < len(src) && src[j+1] == '\n' {
				line++
			}
			j += 2
			continue
		}
		if c == '\n' || c == qc {
			break
		}
		j++
	}
	if j > len(src) {
		j = len(src)
	}
	contents = src[q+1 : j]
	if j < len(src) && src[j] == qc {
		j++
	}
	return contents, j, line
}

// ---- Python ----

func isPyStringPrefix(s string) bool {
	if len(s) > 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'r', 'R', 'b', 'B', 'u', 'U', 'f', 'F', 't', 'T':
		default:
			return false
		}
	}
	return true
}

func lexPython(src string, toks []token) []token {
	toks, _ = lexPyCode(src, 0, 1, toks, false, 0)
	markPyDocstrings(toks)
	return toks
}

// maxFStringNesting bounds f-strings nested in f-string replacement
// fields; deeper ones are lexed as plain strings.
const maxFStringNesting = 8

// lexPyCode lexes Python code from i to the end of src. In an f-string
// replacement field (expr) there are no logical lines: brackets are not
// counted and no tkNewline is emitted. level is the f-string nesting depth.
func lexPyCode(src string, i int, line int32, toks []token, expr bool, level int) ([]token, int32) {
	depth := 0
	n := len(src)
	for i < n {
		c := src[i]
		switch {
		case c == '\n':
			if !expr && depth == 0 && len(toks) > 0 && toks[len(toks)-1].kind != tkNewline {
				toks = append(toks, token{kind: tkNewline, line: line, off: int32(i)})
			}
			line++
			i++
		case isSpace(c):
			i++
		case c == '#':
			i = skipLine(src, i)
		case c == '\\': // explicit line joining
			i++
			if i < n && src[i] == '\r' {
				i++
			}
			if i < n && src[i] == '\n' {
				i++
				line++
			}
		case c == '"' || c == '\'':
			toks, i, line = lexPyString(src, i, i, line, toks, level)
		case isIdentStart(c):
			j := scanIdent(src, i)
			if j < n && (src[j] == '"' || src[j] == '\'') && isPyStringPrefix(src[i:j]) {
				toks, i, line = lexPyString(src, i, j, line, toks, level)
				continue
			}
			toks = append(toks, token{kind: tkIdent, line: line, off: int32(i), text: src[i:j]})
			i = j
		case isDigit(c) || c == '.' && i+1 < n && isDigit(src[i+1]):
			j := scanNumber(src, i)
			toks = append(toks, token{kind: tkNumber, line: line, off: int32(i)})
			i = j
		default:
			if !expr {
				switch c {
				case '(', '[', '{':
					depth++
				case ')', ']', '}':
					if depth > 0 {
						depth--
					}
				}
			}
			toks, i = emitPunct(toks, src, i, line)
		}
	}
	return toks, line
}

// lexPyString lexes a string literal whose prefix starts at start and whose
// opening quote is at q. An f-string (or t-string) is split at its
// replacement fields, whose expressions are lexed as code.
func lexPyString(src string, start, q int, line int32, toks []token, level int) ([]token, int, int32) {
	n := len(src)
	qc := src[q]
	triple := q+2 < n && src[q+1] == qc && src[q+2] == qc
	if level < maxFStringNesting && strings.ContainsAny(src[start:q], "fFtT") {
		raw := strings.ContainsAny(src[start:q], "rR")
		return lexFString(src, start, q, triple, raw, line, toks, level)
	}
	startLine := line
	if triple {
		j := q + 3
		end, contentEnd := n, n
		for j < n {
			c := src[j]
			if c == '\\' {
				if j+1 < n && src[j+1] == '\n' {
					line++
				}
				j += 2
				continue
			}
			if c == '\n' {
				line++
			} else if c == qc && j+2 < n && src[j+1] == qc && src[j+2] == qc {
				contentEnd, end = j, j+3
				break
			}
			j++
		}
		if contentEnd > n {
			contentEnd, end = n, n
		}
		toks = append(toks, token{kind: tkString, line: startLine, off: int32(start), text: src[q+3 : contentEnd]})
		return toks, end, line
	}
	contents, next, line := scanQuoted(src, q, line)
	toks = append(toks, token{kind: tkString, line: startLine, off: int32(start), text: contents})
	return toks, next, line
}

// lexFString lexes an f-string: its literal parts become tkString tokens
// (the first at the prefix, each later one at the '}' closing the field
// before it) and the expression of each replacement field is lexed as code,
// so f"{settings.JWT_SECRET}" and f"{jwt.decode(t, k)}" are seen as code
// whatever their spacing. Format specs are text. A single-quoted f-string
// ends at an unescaped line break, as an unterminated string does.
func lexFString(src string, start, q int, triple, raw bool, line int32, toks []token, level int) ([]token, int, int32) {
	n := len(src)
	qc := src[q]
	j := q + 1
	if triple {
		j = q + 3
	}
	segOff, segText, segLine := start, j, line
	emit := func(end int) {
		toks = append(toks, token{kind: tkString, line: segLine, off: int32(segOff), text: src[segText:end]})
	}
	for j < n {
		c := src[j]
		switch {
		case c == '\\':
			if !raw && j+2 < n && src[j+1] == 'N' && src[j+2] == '{' { // \N{NAME}
				if k := strings.IndexByte(src[j:], '}'); k > 0 && !strings.Contains(src[j:j+k], "\n") {
					j += k + 1
					continue
				}
			}
			if raw && j+1 < n && src[j+1] != qc && src[j+1] != '\\' && src[j+1] != '\n' {
				j++
				continue
			}
			if j+1 < n && src[j+1] == '\n' {
				line++
			}
			j += 2
			continue
		case c == '\n':
			if !triple {
				emit(j)
				return toks, j, line
			}
			line++
		case c == qc && (!triple || j+2 < n && src[j+1] == qc && src[j+2] == qc):
			emit(j)
			if triple {
				return toks, j + 3, line
			}
			return toks, j + 1, line
		case c == '{':
			if j+1 < n && src[j+1] == '{' {
				j += 2
				continue
			}
			emit(j)
			exprEnd, closer := fieldEnd(src, j+1, qc, triple)
			toks, _ = lexPyCode(src[:exprEnd], j+1, line, toks, true, level+1)
			if closer < 0 { // the field never closes: the string ends here
				line += int32(strings.Count(src[j:exprEnd], "\n"))
				return toks, exprEnd, line
			}
			line += int32(strings.Count(src[j:closer], "\n"))
			segOff, segText, segLine = closer, closer+1, line
			j = closer + 1
			continue
		}
		j++
	}
	if j > n {
		j = n
	}
	emit(j)
	return toks, n, line
}

// fieldEnd finds the end of the expression of an f-string replacement field
// starting at i (just after '{'), and the '}' closing the field after any
// "=", "!conversion" and ":format spec". closer is -1 when the field does
// not close before the string or (single-quoted) the line ends; exprEnd is
// then where scanning stopped.
func fieldEnd(src string, i int, qc byte, triple bool) (exprEnd, closer int) {
	n := len(src)
	depth := 0
	j := i
	// A quote inside the expression opens a nested literal (Python 3.12
	// allows the outer quote there too), so only the end of the source or,
	// in a single-quoted f-string, of the line stops the field.
	stop := func(k int) bool { return k >= n || src[k] == '\n' && !triple }
	for ; j < n; j++ {
		c := src[j]
		if stop(j) {
			return j, -1
		}
		switch c {
		case '(', '[', '{':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
			}
			continue
		case '\'', '"':
			j = skipPyLiteral(src, j, triple) - 1
			continue
		}
		if depth > 0 {
			if c == '}' {
				depth--
			}
			continue
		}
		if c == '}' || c == ':' || c == '!' && (j+1 >= n || src[j+1] != '=') {
			break
		}
		if c == '=' && selfDocumenting(src, j) {
			break
		}
	}
	if j >= n {
		return n, -1
	}
	exprEnd = j
	// "=", "!r", then an optional format spec whose nested {fields} are text.
	if src[j] == '=' {
		j++
	}
	if j < n && src[j] == '!' {
		j++
		for j < n && isIdentPart(src[j]) {
			j++
		}
	}
	nest := 0
	for ; j < n; j++ {
		if stop(j) || src[j] == qc && !triple {
			return exprEnd, -1
		}
		switch src[j] {
		case '{':
			nest++
		case '}':
			if nest == 0 {
				return exprEnd, j
			}
			nest--
		}
	}
	return exprEnd, -1
}

// selfDocumenting reports whether the '=' at j ends an f"{expr=}" field
// rather than being part of an operator (==, !=, <=, >=).
func selfDocumenting(src string, j int) bool {
	if j > 0 && strings.IndexByte("=!<>", src[j-1]) >= 0 || j+1 < len(src) && src[j+1] == '=' {
		return false
	}
	k := j + 1
	for k < len(src) && isSpace(src[k]) {
		k++
	}
	return k < len(src) && (src[k] == '}' || src[k] == '!' || src[k] == ':')
}

// skipPyLiteral returns the index just after the string literal whose
// opening quote is at q (escapes honoured, triple quotes understood). A
// single-quoted literal stops at a line break; inside a single-quoted
// f-string (outerTriple false) so does a triple-quoted one.
func skipPyLiteral(src string, q int, outerTriple bool) int {
	n := len(src)
	qc := src[q]
	triple := q+2 < n && src[q+1] == qc && src[q+2] == qc
	j := q + 1
	if triple {
		j = q + 3
	}
	for j < n {
		c := src[j]
		switch {
		case c == '\\':
			if j+1 < n && src[j+1] == '\n' && !triple && !outerTriple {
				return j + 1
			}
			j += 2
			continue
		case c == '\n' && (!triple || !outerTriple):
			return j
		case c == qc && (!triple || j+2 < n && src[j+1] == qc && src[j+2] == qc):
			if triple {
				return j + 3
			}
			return j + 1
		}
		j++
	}
	return n
}

// markPyDocstrings flags strings that form a statement on their own: at the
// start of a logical line (or after ';', or after the ':' of a one-line
// def/class) and followed by the end of the statement.
func markPyDocstrings(toks []token) {
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tkString {
			continue
		}
		j := i
		for j+1 < len(toks) && toks[j+1].kind == tkString { // implicit concatenation
			j++
		}
		if pyStmtStart(toks, i) && (j+1 == len(toks) || toks[j+1].kind == tkNewline ||
			toks[j+1].kind == tkPunct && toks[j+1].text == ";") {
			for k := i; k <= j; k++ {
				toks[k].flags |= flagDoc
			}
		}
		i = j
	}
}

func pyStmtStart(toks []token, i int) bool {
	if i == 0 || toks[i-1].kind == tkNewline {
		return true
	}
	p := toks[i-1]
	if p.kind != tkPunct {
		return false
	}
	if p.text == ";" {
		return true
	}
	if p.text != ":" {
		return false
	}
	k := i - 1
	for k > 0 && toks[k-1].kind != tkNewline {
		k--
	}
	first := toks[k]
	return first.kind == tkIdent && (first.text == "def" || first.text == "class" || first.text == "async")
}

// ---- Go ----

func lexGo(src string, toks []token) []token {
	line := int32(1)
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case isSpace(c):
			i++
		case c == '/' && i+1 < n && src[i+1] == '/':
			i = skipLine(src, i)
		case c == '/' && i+1 < n && src[i+1] == '*':
			i, line = skipBlockComment(src, i, line)
		case c == '"' || c == '\'':
			contents, next, nl := scanQuoted(src, i, line)
			toks = append(toks, token{kind: tkString, line: line, off: int32(i), text: contents})
			i, line = next, nl
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			stop := n
			if end >= 0 {
				stop = i + 1 + end
			}
			toks = append(toks, token{kind: tkString, line: line, off: int32(i), text: src[i+1 : stop]})
			line += int32(strings.Count(src[i:stop], "\n"))
			i = stop + 1
		case isIdentStart(c):
			j := scanIdent(src, i)
			toks = append(toks, token{kind: tkIdent, line: line, off: int32(i), text: src[i:j]})
			i = j
		case isDigit(c) || c == '.' && i+1 < n && isDigit(src[i+1]):
			j := scanNumber(src, i)
			toks = append(toks, token{kind: tkNumber, line: line, off: int32(i)})
			i = j
		default:
			toks, i = emitPunct(toks, src, i, line)
		}
	}
	return toks
}

// ---- JavaScript / TypeScript ----

// jsRegexKeywords are keywords after which a '/' starts a regular expression.
var jsRegexKeywords = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"yield": true, "await": true,
}

func jsRegexAllowed(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	p := toks[len(toks)-1]
	switch p.kind {
	case tkNumber, tkString:
		return false
	case tkIdent:
		return jsRegexKeywords[p.text]
	}
	return p.text != ")" && p.text != "]" && p.text != "}"
}

// scanRegex returns the end of a regular-expression literal starting at i,
// or -1 if there is none on this line (then '/' is division).
func scanRegex(src string, i int) int {
	inClass := false
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			// An escaped line break is no more allowed inside a regular
			// expression literal than a bare one: this is not a regex.
			if j+1 < len(src) && src[j+1] == '\n' {
				return -1
			}
			j++
		case '\n':
			return -1
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '/':
			if !inClass {
				return scanIdent(src, j+1)
			}
		}
	}
	return -1
}

// lexTemplate scans template-literal text from j (just after '`' or '}')
// up to the closing '`' or to a "${". It reports whether a substitution was
// opened.
func lexTemplate(src string, j int, line int32, toks []token) ([]token, int, int32, bool) {
	start, startLine := j, line
	for j < len(src) {
		switch src[j] {
		case '\\':
			if j+1 < len(src) && src[j+1] == '\n' {
				line++
			}
			j += 2
			continue
		case '\n':
			line++
		case '`':
			toks = append(toks, token{kind: tkString, line: startLine, off: int32(start - 1), text: src[start:j]})
			return toks, j + 1, line, false
		case '$':
			if j+1 < len(src) && src[j+1] == '{' {
				toks = append(toks, token{kind: tkString, line: startLine, off: int32(start - 1), text: src[start:j]})
				return toks, j + 2, line, true
			}
		}
		j++
	}
	if j > len(src) {
		j = len(src)
	}
	toks = append(toks, token{kind: tkString, line: startLine, off: int32(start - 1), text: src[start:j]})
	return toks, len(src), line, false
}

func lexJS(src string, toks []token) []token {
	line := int32(1)
	n := len(src)
	i := 0
	if strings.HasPrefix(src, "#!") {
		i = skipLine(src, 0)
	}
	braces := 0
	var tmpl []int // brace depth to return to for each open ${ substitution
	for i < n {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case isSpace(c):
			i++
		case c == '/' && i+1 < n && src[i+1] == '/':
			i = skipLine(src, i)
		case c == '/' && i+1 < n && src[i+1] == '*':
			i, line = skipBlockComment(src, i, line)
		case c == '"' || c == '\'':
			contents, next, nl := scanQuoted(src, i, line)
			toks = append(toks, token{kind: tkString, line: line, off: int32(i), text: contents})
			i, line = next, nl
		case c == '`':
			var opened bool
			toks, i, line, opened = lexTemplate(src, i+1, line, toks)
			if opened {
				tmpl = append(tmpl, braces)
				braces++
			}
		case c == '/' && jsRegexAllowed(toks):
			if j := scanRegex(src, i); j > 0 {
				toks = append(toks, token{kind: tkNumber, line: line, off: int32(i)})
				i = j
				continue
			}
			toks, i = emitPunct(toks, src, i, line)
		case isIdentStart(c) || c == '$':
			j := i + 1
			for j < n && (isIdentPart(src[j]) || src[j] == '$') {
				j++
			}
			toks = append(toks, token{kind: tkIdent, line: line, off: int32(i), text: src[i:j]})
			i = j
		case isDigit(c) || c == '.' && i+1 < n && isDigit(src[i+1]):
			j := scanNumber(src, i)
			toks = append(toks, token{kind: tkNumber, line: line, off: int32(i)})
			i = j
		default:
			if c == '{' {
				braces++
			} else if c == '}' {
				if braces > 0 {
					braces--
				}
				if k := len(tmpl) - 1; k >= 0 && braces == tmpl[k] {
					tmpl = tmpl[:k]
					var opened bool
					toks, i, line, opened = lexTemplate(src, i+1, line, toks)
					if opened {
						tmpl = append(tmpl, braces)
						braces++
					}
					continue
				}
			}
			toks, i = emitPunct(toks, src, i, line)
		}
	}
	return toks
}
