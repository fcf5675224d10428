package scan

import "strings"

// golang is the Go language: .go files, imports of golang-jwt, jwt-go,
// go-jose and jwx.
var golang = language{
	exts:       []string{".go"},
	lex:        lexGo,
	isTestFile: func(base string) bool { return strings.HasSuffix(base, "_test.go") },
	imports:    (*analyzer).goImports,
	defs:       (*analyzer).goDefs,
	binds:      (*analyzer).goBinds,
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
		a.add(RuleJWTImport, j, "JWT library import: "+p+" ("+fam+")")
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

// goIsDefinition: func name, a method func (r T) name( or name[, and
// name = func / name := func.
func (a *analyzer) goIsDefinition(i int) bool {
	if a.isI(i-1, "func") {
		return true
	}
	if a.isP(i-1, ")") && (a.isP(i+1, "(") || a.isP(i+1, "[")) {
		if m := a.partner(i - 1); m > 0 && a.isI(m-1, "func") {
			return true
		}
	}
	return (a.isP(i+1, "=") || a.isP(i+1, ":=")) && a.isI(i+2, "func")
}

func (a *analyzer) goDefs() {
	for i := 0; i < len(a.t); i++ {
		if a.t[i].kind != tkIdent || !a.goIsDefinition(i) {
			continue
		}
		j := i + 1
		if a.isP(j, "=") || a.isP(j, ":=") {
			j += 2 // past "func"
		}
		if a.isP(j, "[") { // type parameters
			j = a.partner(j) + 1
			if j == 0 {
				continue
			}
		}
		if !a.isP(j, "(") {
			continue
		}
		closer := a.partner(j)
		if closer < 0 {
			continue
		}
		body, ok := a.goBody(closer + 1)
		if !ok {
			continue
		}
		a.defs = append(a.defs, funcDef{name: a.t[i].text, at: i, params: [2]int{j + 1, closer}, body: body})
	}
}

// goBody finds the body of a function whose parameter list ends just
// before k: past the results (which may hold struct{} and interface{}), the
// first '{' at depth 0.
func (a *analyzer) goBody(k int) ([2]int, bool) {
	depth := 0
	for j := k; j < len(a.t) && j < k+256; j++ {
		tk := a.t[j]
		if tk.kind == tkIdent && depth == 0 {
			switch tk.text {
			case "type", "var", "const", "import", "package":
				return [2]int{}, false
			case "func":
				if a.isIdent(j + 1) {
					return [2]int{}, false // a declaration without a body, then the next one
				}
			}
		}
		if tk.kind != tkPunct {
			continue
		}
		switch tk.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
			if depth < 0 {
				return [2]int{}, false
			}
		case "{":
			if depth > 0 {
				continue
			}
			m := a.partner(j)
			if a.isI(j-1, "struct") || a.isI(j-1, "interface") {
				if m < 0 {
					return [2]int{}, false
				}
				j = m
				continue
			}
			if m < 0 {
				m = len(a.t)
			}
			return [2]int{j + 1, m}, true
		case "}", ";", "=":
			if depth == 0 {
				return [2]int{}, false
			}
		}
	}
	return [2]int{}, false
}

// goBinds: name := ..., a, name := ..., var name.
func (a *analyzer) goBinds(j int) bool {
	if a.isI(j-1, "var") || a.isP(j+1, ":=") {
		return true
	}
	for k := j + 1; k < len(a.t) && k < j+16; k += 2 {
		if !a.isP(k, ",") {
			return a.isP(k, ":=")
		}
		if !a.isIdent(k + 1) {
			return false
		}
	}
	return false
}
