package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Blocks of ordinary code with a sprinkling of JWT code, comments and
// strings, one per language; %d makes names unique per copy.
var benchBlocks = map[string]string{
	".py": `# handler %[1]d: jwt.decode(token) in a comment
def handle_%[1]d(request, items):
    """Handle a request; mentions JWT_SECRET in a docstring."""
    total = 0
    for item in items:
        if item.get("kind") == "order" and item["qty"] > 0:
            total += item["qty"] * item.get("price", 1.5)
    name = request.headers.get("X-Name", "anonymous user %[1]d")
    claims = jwt.decode(request.token, settings.JWT_SECRET, algorithms=["HS256"])
    return {"total": total, "name": name, "claims": claims}

`,
	".go": `// handle%[1]d sums orders; jwt.Parse(x) in a comment.
func handle%[1]d(r *Request, items []Item) (map[string]any, error) {
	total := 0.0
	for _, it := range items {
		if it.Kind == "order" && it.Qty > 0 {
			total += float64(it.Qty) * it.Price
		}
	}
	name := r.Header.Get("X-Name") + "user %[1]d"
	tok, err := jwt.Parse(r.Token, func(*jwt.Token) (any, error) { return []byte(os.Getenv("JWT_SECRET")), nil })
	return map[string]any{"total": total, "name": name, "tok": tok}, err
}

`,
	".js": `// handler %[1]d: jwt.verify(token) in a comment
function handle%[1]d(req, items) {
  let total = 0;
  for (const item of items) {
    if (item.kind === 'order' && item.qty > 0) {
      total += item.qty * (item.price ?? 1.5);
    }
  }
  const name = req.headers['x-name'] || ` + "`user ${req.id} %[1]d`" + `;
  const claims = jwt.verify(req.token, process.env.JWT_SECRET, { algorithms: ['HS256'] });
  return { total, name, claims, re: /[a-z]+\/\d+/g.test(name) };
}

`,
	".ts": `/** handler %[1]d: jwtVerify(token) in a doc comment */
export async function handle%[1]d(req: Request, items: Item[]): Promise<Result> {
  let total: number = 0;
  for (const item of items) {
    if (item.kind === 'order' && item.qty > 0) {
      total += item.qty * (item.price ?? 1.5);
    }
  }
  const name: string = req.headers.get('x-name') ?? 'anonymous';
  const { payload } = await jwtVerify(req.token, new TextEncoder().encode(process.env.JWT_SECRET));
  return { total, name, payload } as Result;
}

`,
}

var benchHeaders = map[string]string{
	".py": "import os\nimport jwt\nfrom django.conf import settings\n\n",
	".go": "package bench\n\nimport (\n\t\"os\"\n\n\t\"github.com/golang-jwt/jwt/v5\"\n)\n\n",
	".js": "const jwt = require('jsonwebtoken');\n\n",
	".ts": "import { jwtVerify } from 'jose';\n\n",
}

// makeBenchTree writes about `lines` lines of mixed-language source.
func makeBenchTree(b *testing.B, lines int) string {
	b.Helper()
	dir := b.TempDir()
	const blocksPerFile = 40 // ~500 lines a file
	exts := []string{".py", ".go", ".js", ".ts"}
	written := 0
	for f := 0; written < lines; f++ {
		ext := exts[f%len(exts)]
		var sb strings.Builder
		sb.WriteString(benchHeaders[ext])
		for k := range blocksPerFile {
			fmt.Fprintf(&sb, benchBlocks[ext], f*blocksPerFile+k)
		}
		src := sb.String()
		written += strings.Count(src, "\n")
		p := filepath.Join(dir, fmt.Sprintf("svc%02d", f%16), fmt.Sprintf("mod%04d%s", f, ext))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// The auth service, which --auth-path skips (a pattern must match).
	if err := os.MkdirAll(filepath.Join(dir, "auth"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth", "svc.py"), []byte(benchHeaders[".py"]), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

func BenchmarkScan(b *testing.B) {
	dir := makeBenchTree(b, 200_000)
	opts := Options{Root: dir, AuthPaths: []string{"auth/**"}}
	var lines int
	for b.Loop() {
		r, err := Scan(context.Background(), []string{dir}, opts)
		if err != nil {
			b.Fatal(err)
		}
		lines += r.LinesScanned
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
