package scan

import "strings"

// golang is the Go language: .go files, imports of golang-jwt, jwt-go,
// go-jose and jwx.
var golang = language{
	exts: []string{".go"},
	lex:  lexGo,
	isTest: func(base string, dirs []string) bool {
		return strings.HasSuffix(base, "_test.go")
	},
	imports:      (*analyzer).goImports,
	isDefinition: (*analyzer).goIsDefinition,
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

// goIsDefinition: func name, a method func (r T) name( or name[, and
// name = func / name := func.
func (a *analyzer) goIsDefinition(i int) bool {
	if a.isI(i-1, "func") {
		return true
	}
	if a.isP(i-1, ")") && (a.isP(i+1, "(") || a.isP(i+1, "[")) {
		if m := a.matchBackward(i - 1); m > 0 && a.isI(m-1, "func") {
			return true
		}
	}
	return (a.isP(i+1, "=") || a.isP(i+1, ":=")) && a.isI(i+2, "func")
}
