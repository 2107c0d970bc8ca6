package web_test

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// declaringHelpers are the functions of each package that may register a
// route on the mux: each records the route and its rule in the table the
// permission walk reads.
var declaringHelpers = map[string]map[string]bool{
	"../api": {"route": true, "publicRoute": true},
	"../ui":  {"route": true, "publicHandler": true},
}

// rawRegistrations are the registrations outside the helpers that the
// table allows, each with why: a catch-all that only answers "not found",
// or a route the package declares in its table by hand. Keyed by
// package, function and the pattern as written.
var rawRegistrations = map[string]string{
	`../api registerIntegrations "GET " + CallbackPath`: "Microsoft's OAuth callback, appended to Routes as public by hand",
	`../api Register "/api/"`:                           "the API's catch-all: 404 not_found for every unknown path",
}

// TestRoutesRegisterOnlyThroughTheTable reads the portal's and the API's
// source: a Handle or HandleFunc on a ServeMux (or on net/http's default
// one) outside the declaring helpers would register a route that is in no
// table, so no rule and no walk.
func TestRoutesRegisterOnlyThroughTheTable(t *testing.T) {
	seen := map[string]bool{}
	for dir, helpers := range declaringHelpers {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			for _, reg := range registrations(t, file) {
				key := dir + " " + reg.fn + " " + reg.pattern
				switch {
				case helpers[reg.fn]:
				case rawRegistrations[key] != "":
					seen[key] = true
				default:
					t.Errorf("%s: %s registers %s outside the route table: use the package's route helpers so it declares a rule",
						reg.pos, reg.fn, reg.pattern)
				}
			}
		}
	}
	for key := range rawRegistrations {
		if !seen[key] {
			t.Logf("allowed registration no longer found (remove it from rawRegistrations): %s", key)
		}
	}
}

// registration is one call of Handle or HandleFunc in the source.
type registration struct {
	pos     string
	fn      string // the enclosing function
	pattern string // the first argument as written
}

func registrations(t *testing.T, file string) []registration {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []registration
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		muxes := serveMuxes(fd)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if recv, ok := sel.X.(*ast.Ident); !ok || !muxes[recv.Name] {
				return true
			}
			var b strings.Builder
			_ = printer.Fprint(&b, fset, call.Args[0])
			out = append(out, registration{pos: fset.Position(call.Pos()).String(), fn: fd.Name.Name, pattern: b.String()})
			return true
		})
	}
	return out
}

// serveMuxes names what a function may register routes on: its
// *http.ServeMux parameters, the muxes it makes, and net/http's default
// mux through the package's own Handle and HandleFunc.
func serveMuxes(fd *ast.FuncDecl) map[string]bool {
	names := map[string]bool{"http": true}
	isServeMux := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "ServeMux"
	}
	for _, f := range fd.Type.Params.List {
		if star, ok := f.Type.(*ast.StarExpr); ok && isServeMux(star.X) {
			for _, n := range f.Names {
				names[n.Name] = true
			}
		}
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, rhs := range as.Rhs {
			call, ok := rhs.(*ast.CallExpr)
			if !ok {
				continue
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			id, named := as.Lhs[i].(*ast.Ident)
			if ok && named && sel.Sel.Name == "NewServeMux" {
				names[id.Name] = true
			}
		}
		return true
	})
	return names
}
