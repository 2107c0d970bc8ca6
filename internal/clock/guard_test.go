package clock

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wallClockReaders are imports whose code judges time by the wall clock:
// a cookie jar drops a cookie whose Expires is past real time, x/oauth2
// stamps expiries from time.Now, JWT libraries check exp/nbf/iat and TLS
// checks certificate validity. Only direct imports of the module's own
// packages count: net/http imports crypto/tls, but a plain-HTTP test never
// runs it.
var wallClockReaders = []string{
	"net/http/cookiejar",
	"golang.org/x/oauth2",
	"github.com/golang-jwt/jwt",
	"github.com/go-jose/go-jose",
	"github.com/crewjam/saml",
	"github.com/russellhaering/goxmldsig",
	"crypto/tls",
	"crypto/x509",
}

// pinnedDate is one place a test file fixes a calendar date.
type pinnedDate struct {
	pos  string
	what string
}

// TestNoPinnedDateMeetsWallClock is the date guard: in a package whose
// test binary reaches a wall-clock reader, no test file may write a
// calendar date (clock.At, time.Date or time.Unix of constants). Such a
// test passes on the day it was written and fails when the calendar moves
// on, as 25 tests did a week after 2026-11-27.
func TestNoPinnedDateMeetsWallClock(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := checkPinnedDates(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: %s in a package whose tests reach a wall-clock reader; start the fake clock with clock.NewFake()", b.pos, b.what)
	}
}

// TestGuardTrips: the guard finds a pinned date in a test that uses a
// cookie jar, also when the jar is reached through another package of the
// module, and passes a pinned date where no wall-clock reader is reached.
func TestGuardTrips(t *testing.T) {
	bad, err := checkPinnedDates("testdata/guard")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bad {
		got = append(got, b.pos+" "+b.what)
	}
	want := []string{
		"jar/jar_test.go:13 clock.At",
		"viahelper/via_test.go:10 time.Date",
		"viahelper/via_test.go:14 time.Unix",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("guard found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// goPackage is what the guard needs of one directory's Go files.
type goPackage struct {
	imports     map[string]bool // of its non-test files
	testImports map[string]bool // of its test files
	tests       []*ast.File
}

// checkPinnedDates reports every calendar date written in a test file of a
// package, under the module at root, whose test binary reaches a
// wall-clock reader.
func checkPinnedDates(root string) ([]pinnedDate, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	pkgs := map[string]*goPackage{} // by import path
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		p := pkgs[ip]
		if p == nil {
			p = &goPackage{imports: map[string]bool{}, testImports: map[string]bool{}}
			pkgs[ip] = p
		}
		into := p.imports
		if strings.HasSuffix(path, "_test.go") {
			into = p.testImports
			p.tests = append(p.tests, f)
		}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			into[s] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var bad []pinnedDate
	for ip, p := range pkgs {
		if len(p.tests) == 0 || !reachesWallClock(pkgs, ip, p) {
			continue
		}
		for _, f := range p.tests {
			for _, b := range pinnedIn(fset, f) {
				rel, _ := filepath.Rel(root, b.pos[:strings.LastIndex(b.pos, ":")])
				b.pos = filepath.ToSlash(rel) + b.pos[strings.LastIndex(b.pos, ":"):]
				bad = append(bad, b)
			}
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].pos < bad[j].pos })
	return bad, nil
}

// reachesWallClock tells whether the test binary of package ip imports a
// wall-clock reader, directly or through the module's own packages.
func reachesWallClock(pkgs map[string]*goPackage, ip string, p *goPackage) bool {
	seen := map[string]bool{ip: true}
	queue := []string{}
	for _, m := range []map[string]bool{p.imports, p.testImports} {
		for imp := range m {
			queue = append(queue, imp)
		}
	}
	for len(queue) > 0 {
		imp := queue[0]
		queue = queue[1:]
		for _, r := range wallClockReaders {
			if imp == r || strings.HasPrefix(imp, r+"/") || strings.HasPrefix(imp, r+"/v") {
				return true
			}
		}
		if seen[imp] {
			continue
		}
		seen[imp] = true
		if dep := pkgs[imp]; dep != nil {
			for next := range dep.imports {
				queue = append(queue, next)
			}
		}
	}
	return false
}

// pinnedIn lists the calendar dates f writes: clock.At(…) calls, and
// time.Date or time.Unix whose arguments are all constants.
func pinnedIn(fset *token.FileSet, f *ast.File) []pinnedDate {
	names := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		s, _ := strconv.Unquote(imp.Path.Value)
		name := s[strings.LastIndex(s, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = s
	}
	var out []pinnedDate
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		what := x.Name + "." + sel.Sel.Name
		switch {
		case strings.HasSuffix(names[x.Name], "internal/clock") && sel.Sel.Name == "At":
		case names[x.Name] == "time" && (sel.Sel.Name == "Date" || sel.Sel.Name == "Unix") && allConstant(call.Args):
			what = "time." + sel.Sel.Name
		default:
			return true
		}
		out = append(out, pinnedDate{pos: fset.Position(call.Pos()).Filename + ":" + strconv.Itoa(fset.Position(call.Pos()).Line), what: what})
		return true
	})
	return out
}

// allConstant tells whether every argument is a literal or a named
// constant such as time.UTC or time.March.
func allConstant(args []ast.Expr) bool {
	for _, a := range args {
		switch v := a.(type) {
		case *ast.BasicLit:
		case *ast.SelectorExpr:
		case *ast.UnaryExpr:
			if _, ok := v.X.(*ast.BasicLit); !ok {
				return false
			}
		default:
			return false
		}
	}
	return len(args) > 0
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(rest), nil
		}
	}
	return "", os.ErrNotExist
}
