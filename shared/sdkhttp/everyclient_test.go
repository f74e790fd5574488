package sdkhttp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEverySDKClientUsesIt reads every Go file of the module: each SDK client built from a
// service's Options (ivs.Options{...}) names an HTTPClient (sdkhttp.New(), or a test's own
// transport), and each function calling config.LoadDefaultConfig wraps what it resolved
// (sdkhttp.Wrap), so no client the suite builds (a function's, a script's, a test's, the local
// stack's) is left with the SDK's default and the race the package comment describes. (The
// functions build theirs from awsenv.Load's aws.Config, which awsenv's TestLoad covers.)
func TestEverySDKClientUsesIt(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "cdk.out" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		services, config, sdkhttp := map[string]bool{}, "", ""
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			switch {
			case strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/") && strings.Count(p, "/") == 4:
				services[name] = true
			case p == "github.com/aws/aws-sdk-go-v2/config":
				config = name
			case p == "github.com/ivs-sessions/ivs-sessions/shared/sdkhttp":
				sdkhttp = name
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Options" && isIdent(sel.X, services) {
					checked++
					if !hasKey(n, "HTTPClient") {
						t.Errorf("%s: %s.Options without HTTPClient: sdkhttp.New()", fset.Position(n.Pos()), sel.X)
					}
				}
			case *ast.FuncDecl:
				if n.Body != nil && config != "" && calls(n.Body, config, "LoadDefaultConfig") {
					checked++
					if sdkhttp == "" || !calls(n.Body, sdkhttp, "Wrap") {
						t.Errorf("%s: %s calls config.LoadDefaultConfig without cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient)", fset.Position(n.Pos()), n.Name.Name)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("only %d SDK clients found under %s: is the walk looking in the right place?", checked, root)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
	}
}

func isIdent(e ast.Expr, names map[string]bool) bool {
	id, ok := e.(*ast.Ident)
	return ok && names[id.Name]
}

func hasKey(lit *ast.CompositeLit, key string) bool {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
				return true
			}
		}
	}
	return false
}

// calls reports whether body calls pkg.fn anywhere.
func calls(body *ast.BlockStmt, pkg, fn string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == fn && isIdent(sel.X, map[string]bool{pkg: true}) {
				found = true
			}
		}
		return !found
	})
	return found
}
