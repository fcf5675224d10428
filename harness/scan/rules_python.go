package scan

import (
	"strings"
)

// python is the Python language: .py files, imports of PyJWT, python-jose
// and authlib.
var python = language{
	exts: []string{".py"},
	lex:  lexPython,
	isTestFile: func(base string) bool {
		return strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") ||
			strings.HasSuffix(base, "_tests.py") || base == "conftest.py"
	},
	imports: (*analyzer).pyImports,
	defs:    (*analyzer).pyDefs,
	binds:   (*analyzer).pyBinds,
}

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

// pyStmtStartAt: the token at i starts a statement.
func (a *analyzer) pyStmtStartAt(i int) bool {
	if i == 0 {
		return true
	}
	p := a.t[i-1]
	return p.kind == tkNewline || p.kind == tkPunct && (p.text == ";" || p.text == ":")
}

func (a *analyzer) pyImports() {
	for i := 0; i < len(a.t); i++ {
		tk := a.t[i]
		if tk.kind != tkIdent || tk.text != "import" && tk.text != "from" || !a.pyStmtStartAt(i) {
			continue
		}
		start := i
		if tk.text == "import" {
			i = a.pyImport(i + 1)
		} else {
			i = a.pyFrom(i + 1)
		}
		end := i
		for end < len(a.t) && a.t[end].kind != tkNewline && !a.isP(end, ";") {
			end++
		}
		a.imports = append(a.imports, [2]int{start, end})
	}
	a.bindInstances(true)
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
			a.add(RuleJWTImport, at, "JWT library import: "+mod+" ("+fam+")")
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
	a.add(RuleJWTImport, at, "JWT library import: "+mod+" ("+fam+")")
	for _, b := range names {
		if opMethods[b.name] {
			a.bindFunc(b.local, b.name)
		} else {
			a.receivers = append(a.receivers, b.local)
		}
	}
	return j
}

// bindInstances binds, file-wide, a name assigned an instance of a bound
// JWT class: jwt = JsonWebToken(["HS256"]), codec = jwt.PyJWT(). The
// callee must look like a class (an upper-case initial); the result of a
// decode is not a JWT library. Python assignments start a statement
// (pyStyle); JavaScript ones follow const, let or var.
func (a *analyzer) bindInstances(pyStyle bool) {
	if len(a.receivers) == 0 {
		return
	}
	for i := 0; i+3 < len(a.t); i++ {
		if !a.isIdent(i) || !a.isP(i+1, "=") {
			continue
		}
		if pyStyle && !a.pyStmtStartAt(i) || !pyStyle && !(a.isI(i-1, "const") || a.isI(i-1, "let") || a.isI(i-1, "var")) {
			continue
		}
		j := i + 2
		if a.isI(j, "new") {
			j++
		}
		if !a.isIdent(j) || !a.isReceiver(a.t[j].text) {
			continue
		}
		callee := j
		for a.isP(callee+1, ".") && a.isIdent(callee+2) {
			callee += 2
		}
		if c := a.t[callee].text[0]; a.isP(callee+1, "(") && c >= 'A' && c <= 'Z' {
			a.receivers = append(a.receivers, a.t[i].text)
		}
	}
}

// pyDefs finds def name(...): and name = lambda ...: definitions.
func (a *analyzer) pyDefs() {
	for i := 0; i < len(a.t); i++ {
		tk := a.t[i]
		if tk.kind != tkIdent {
			continue
		}
		switch {
		case tk.text == "def" && a.isIdent(i+1) && a.isP(i+2, "("):
			a.pyDef(i + 1)
		case tk.text == "lambda" && a.isP(i-1, "=") && a.isIdent(i-2):
			a.pyLambda(i-2, i)
		}
	}
}

// pyLineStart is the index of the first token of the logical line holding i.
func (a *analyzer) pyLineStart(i int) int {
	for i > 0 && a.t[i-1].kind != tkNewline {
		i--
	}
	return i
}

// indent is the column (in bytes) of the token at i on its physical line.
func (a *analyzer) indent(i int) int {
	off := int(a.t[i].off)
	return off - (strings.LastIndexByte(a.src[:off], '\n') + 1)
}

func (a *analyzer) pyDef(at int) {
	open := at + 1
	closer := a.partner(open)
	if closer < 0 {
		return
	}
	colon, depth := -1, 0
	for j := closer + 1; j < len(a.t) && colon < 0; j++ {
		tk := a.t[j]
		if tk.kind == tkNewline {
			return
		}
		if tk.kind != tkPunct {
			continue
		}
		switch tk.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ":":
			if depth == 0 {
				colon = j
			}
		}
	}
	if colon < 0 {
		return
	}
	d := funcDef{name: a.t[at].text, at: at, params: [2]int{open + 1, closer}}
	if colon+1 < len(a.t) && a.t[colon+1].kind == tkNewline {
		own := a.indent(a.pyLineStart(at))
		end := len(a.t)
		for k := colon + 2; k < len(a.t); k++ {
			if a.t[k].kind == tkNewline && k+1 < len(a.t) && a.indent(k+1) <= own {
				end = k + 1
				break
			}
		}
		d.body = [2]int{colon + 2, end}
	} else {
		end := colon + 1
		for end < len(a.t) && a.t[end].kind != tkNewline {
			end++
		}
		d.body = [2]int{colon + 1, end}
	}
	d.decorators = a.pyDecorators(a.pyLineStart(at))
	a.defs = append(a.defs, d)
}

// pyDecorators lists the dotted names of the decorators above the logical
// line starting at start.
func (a *analyzer) pyDecorators(start int) []string {
	var out []string
	for start > 1 && len(out) < 16 {
		prev := a.pyLineStart(start - 1)
		if !a.isP(prev, "@") {
			break
		}
		if name, _ := a.pyDotted(prev + 1); name != "" {
			out = append(out, name)
		}
		start = prev
	}
	return out
}

func (a *analyzer) pyLambda(name, lambda int) {
	colon := -1
	depth := 0
	for j := lambda + 1; j < len(a.t) && a.t[j].kind != tkNewline; j++ {
		if a.t[j].kind != tkPunct {
			continue
		}
		switch a.t[j].text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ":":
			if depth == 0 && colon < 0 {
				colon = j
			}
		}
		if colon >= 0 {
			break
		}
	}
	if colon < 0 {
		return
	}
	end := colon + 1
	for end < len(a.t) && a.t[end].kind != tkNewline {
		end++
	}
	a.defs = append(a.defs, funcDef{name: a.t[name].text, at: name, params: [2]int{lambda, colon}, body: [2]int{colon + 1, end}})
}

// pyBinds: name = ..., name: T = ..., for name in, ... as name.
func (a *analyzer) pyBinds(j int) bool {
	if a.isI(j-1, "for") || a.isI(j-1, "as") {
		return true
	}
	return (a.isP(j+1, "=") || a.isP(j+1, ":")) && a.pyStmtStartAt(j)
}
