package scan

import (
	"slices"
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
	isTest: func(base string, dirs []string) bool {
		return strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") || slices.Contains(dirs, "__tests__")
	},
	imports:      (*analyzer).jsImports,
	isDefinition: (*analyzer).jsIsDefinition,
	track:        (*analyzer).trackBrackets,
	callIsDefinition: func(a *analyzer, i int) bool {
		// a method definition that shares the name
		k := a.matchForward(i + 1)
		return k > 0 && a.jsBodyFollows(k)
	},
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
