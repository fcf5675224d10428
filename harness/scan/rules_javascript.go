package scan

import (
	"strings"
)

// javascript is JavaScript and TypeScript: one lexer and one rule set
// serve both, so TypeScript reuses these rules rather than having a file of
// its own. The TypeScript-only syntax the rules must see past (type
// annotations, interface and type literals, generics, overload signatures)
// is handled here too. Imports of jsonwebtoken, jose and jwt-decode.
var javascript = language{
	exts: []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"},
	lex:  lexJS,
	isTestFile: func(base string) bool {
		return strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") || strings.Contains(base, ".e2e.")
	},
	imports:      (*analyzer).jsImports,
	defs:         (*analyzer).jsDefs,
	binds:        func(a *analyzer, j int) bool { return a.isI(j-1, "const") || a.isI(j-1, "let") || a.isI(j-1, "var") },
	destructures: true,
}

// jsState is the analyzer's JS/TS bracket tracking for definition detection.
type jsState struct {
	brackets    []byte // '(', '[', '{', or 'T' for a '{' opening a type literal
	pendingType int32  // line of an "interface X"/"type X =" awaiting its '{'
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
			a.add(RuleJWTImport, i, "JWT library import: "+tk.text)
			a.jsStaticBindings(i-1, fam)
		case a.isI(i-1, "import"):
			a.add(RuleJWTImport, i, "JWT library import: "+tk.text)
		case a.isP(i-1, "(") && (a.isI(i-2, "require") || a.isI(i-2, "import")):
			a.add(RuleJWTImport, i, "JWT library import: "+tk.text)
			k := i - 3
			if a.isI(k, "await") {
				k--
			}
			if a.isP(k, "=") {
				a.jsAssignBindings(k-1, fam)
			}
		}
	}
	a.bindInstances(false)
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

var jsNotMethodNames = setOf("if", "for", "while", "switch", "catch", "with", "function", "return", "super")

var jsMethodModifiers = setOf("async", "static", "public", "private", "protected", "override", "get", "set")

var jsNoDefAfter = setOf("return", "await", "yield", "new", "typeof", "void", "delete", "throw", "case", "in", "of", "instanceof")

// jsDefs finds the named function definitions: function declarations with
// a body (not overload signatures), class and object methods, and
// name = / name: function or arrow values. trackBrackets runs on every
// token so that a method is told from a call and a type member.
func (a *analyzer) jsDefs() {
	for i := 0; i < len(a.t); i++ {
		a.trackBrackets(i)
		if a.t[i].kind != tkIdent {
			continue
		}
		next := byte(0)
		if i+1 < len(a.t) && a.t[i+1].kind == tkPunct && len(a.t[i+1].text) == 1 {
			next = a.t[i+1].text[0]
		}
		if next != '=' && next != ':' && next != '(' && !a.isI(i-1, "function") && !a.isP(i-1, "*") {
			continue
		}
		if d, ok := a.jsDef(i); ok {
			a.defs = append(a.defs, d)
		}
	}
}

func (a *analyzer) jsDef(i int) (funcDef, bool) {
	d := funcDef{name: a.t[i].text, at: i}
	if a.isI(i-1, "function") || a.isP(i-1, "*") && a.isI(i-2, "function") {
		j := a.skipGenerics(i + 1)
		if !a.isP(j, "(") {
			return d, false
		}
		return a.jsFunction(d, j)
	}
	inner := byte(0)
	if n := len(a.brackets); n > 0 {
		inner = a.brackets[n-1]
	}
	switch {
	case a.isP(i+1, "="):
		return a.jsFuncValue(d, i+2)
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
					return d, false
				case "=":
					if depth == 0 {
						return a.jsFuncValue(d, j+1)
					}
				}
			}
			return d, false
		}
		if inner != '{' || !(a.isP(i-1, "{") || a.isP(i-1, ",")) {
			return d, false // parameter annotation, type member, ternary, label
		}
		return a.jsFuncValue(d, i+2)
	case a.isP(i+1, "("):
		if inner != '{' || jsNotMethodNames[a.t[i].text] || !a.jsMethodPrefix(i) {
			return d, false
		}
		return a.jsFunction(d, i+1)
	}
	return d, false
}

// skipGenerics returns the index after a <...> type parameter list at j,
// or j when there is none.
func (a *analyzer) skipGenerics(j int) int {
	if !a.isP(j, "<") {
		return j
	}
	for k := j; k < len(a.t) && k < j+40; k++ {
		if a.isP(k, "(") {
			return k
		}
	}
	return j
}

// jsFunction completes d for a function whose parameter list opens at j
// and whose body is a block.
func (a *analyzer) jsFunction(d funcDef, j int) (funcDef, bool) {
	k := a.partner(j)
	if k < 0 {
		return d, false
	}
	b := a.jsBodyBrace(k)
	if b < 0 {
		return d, false // an overload signature or a call
	}
	end := a.partner(b)
	if end < 0 {
		end = len(a.t)
	}
	d.params, d.body = [2]int{j + 1, k}, [2]int{b + 1, end}
	return d, true
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

// jsFuncValue completes d when a function value (function expression or
// arrow function) starts at j.
func (a *analyzer) jsFuncValue(d funcDef, j int) (funcDef, bool) {
	if a.isI(j, "async") {
		j++
	}
	if a.isI(j, "function") {
		k := j + 1
		if a.isP(k, "*") {
			k++
		}
		if a.isIdent(k) {
			k++
		}
		k = a.skipGenerics(k)
		if !a.isP(k, "(") {
			return d, false
		}
		return a.jsFunction(d, k)
	}
	if a.isIdent(j) && a.isP(j+1, "=>") {
		d.params = [2]int{j, j + 1}
		return a.jsArrowBody(d, j+1)
	}
	j = a.skipGenerics(j)
	if !a.isP(j, "(") {
		return d, false
	}
	k := a.partner(j)
	if k < 0 {
		return d, false
	}
	d.params = [2]int{j + 1, k}
	if a.isP(k+1, "=>") {
		return a.jsArrowBody(d, k+1)
	}
	if !a.isP(k+1, ":") {
		return d, false
	}
	for m := k + 2; m < len(a.t) && m < k+60; m++ {
		if a.t[m].kind != tkPunct {
			continue
		}
		switch a.t[m].text {
		case "=>":
			return a.jsArrowBody(d, m)
		case ";", "=", "{", "}":
			return d, false
		}
	}
	return d, false
}

// jsArrowBody completes d for an arrow function whose "=>" is at ar: a
// block, or an expression up to the end of its statement.
func (a *analyzer) jsArrowBody(d funcDef, ar int) (funcDef, bool) {
	if a.isP(ar+1, "{") {
		end := a.partner(ar + 1)
		if end < 0 {
			end = len(a.t)
		}
		d.body = [2]int{ar + 2, end}
		return d, true
	}
	d.body = [2]int{ar + 1, a.jsExprEnd(ar + 1)}
	return d, true
}

// jsExprEnd returns where the expression starting at s ends: a ';' or ','
// at its depth, an unmatched closer, or a line break after a token that
// can end an expression, before one that cannot continue it.
func (a *analyzer) jsExprEnd(s int) int {
	depth := 0
	for j := s; j < len(a.t); j++ {
		tk := a.t[j]
		if tk.kind == tkPunct {
			switch tk.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return j
				}
				depth--
			case ";", ",":
				if depth == 0 {
					return j
				}
			}
			continue
		}
		if depth == 0 && j > s && tk.kind == tkIdent && tk.line > a.t[j-1].line && jsEndsExpr(a.t[j-1]) {
			return j
		}
	}
	return len(a.t)
}

func jsEndsExpr(p token) bool {
	switch p.kind {
	case tkIdent:
		return !jsNoDefAfter[p.text] && p.text != "as" && p.text != "satisfies"
	case tkString, tkNumber:
		return true
	}
	return p.text == ")" || p.text == "]" || p.text == "}"
}

// jsBodyBrace returns the index of the '{' opening a function body after
// the ')' at k closing a parameter list (past an optional return-type
// annotation), or -1 when none follows.
func (a *analyzer) jsBodyBrace(k int) int {
	j := k + 1
	if a.isP(j, "{") {
		return j
	}
	if !a.isP(j, ":") {
		return -1
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
				return -1
			}
		case "{":
			prev := a.t[j-1]
			typeBrace := depth > 0 || prev.kind == tkPunct && (prev.text == ":" || prev.text == "|" ||
				prev.text == "&" || prev.text == "," || prev.text == "<" || prev.text == "=>" || prev.text == "(")
			if !typeBrace {
				return j
			}
			m := a.partner(j)
			if m < 0 {
				return -1
			}
			j = m
		case ";", "=", "}":
			if depth == 0 {
				return -1
			}
		}
	}
	return -1
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
