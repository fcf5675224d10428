package scan

import (
	"slices"
	"strings"
)

// python is the Python language: .py files, imports of PyJWT, python-jose
// and authlib.
var python = language{
	exts: []string{".py"},
	lex:  lexPython,
	isTest: func(base string, dirs []string) bool {
		if strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") || base == "conftest.py" {
			return true
		}
		return slices.Contains(dirs, "tests") || slices.Contains(dirs, "test")
	},
	imports:      (*analyzer).pyImports,
	isDefinition: (*analyzer).pyIsDefinition,
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

// pyIsDefinition: def name, or name = lambda.
func (a *analyzer) pyIsDefinition(i int) bool {
	return a.isI(i-1, "def") || a.isP(i+1, "=") && a.isI(i+2, "lambda")
}
