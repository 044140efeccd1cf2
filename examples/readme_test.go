// Package examples holds the sample files the README's commands use. Its
// test runs those commands as a reader would: the real binary, a demo
// server, and bash.
package examples

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// notRun are commands of the README's sh blocks that the test leaves out:
// they start a server of their own, need a PostgreSQL server, run the
// tests themselves, or run for minutes. The test starts the demo server
// the README starts with instead.
var notRun = []string{
	"go run ./cmd/carebridge serve", "go test", "createdb", "carebridge serve",
}

// shBlocks returns the ```sh blocks of a Markdown text, in order.
func shBlocks(md string) []string { return fencedBlocks(md, "sh") }

// fencedBlocks returns the fenced blocks of a language in a Markdown text,
// in order.
func fencedBlocks(md, lang string) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// commands splits a block into commands, joining continued lines.
func commands(block string) []string {
	var out []string
	var cur string
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		cur += line + "\n"
		if !strings.HasSuffix(line, "\\") {
			out = append(out, cur)
			cur = ""
		}
	}
	return out
}

func skipped(cmd string) bool {
	for _, p := range notRun {
		if strings.HasPrefix(cmd, p) {
			return true
		}
	}
	return false
}

// expected returns the answers the README shows after "# →", and the JSON
// ones it shows after "# {", as patterns in which "…" stands for anything.
func expected(block string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, line := range strings.Split(block, "\n") {
		_, comment, ok := strings.Cut(line, "# ")
		if !ok {
			continue
		}
		comment = strings.TrimSpace(strings.TrimPrefix(comment, "→ "))
		if !strings.HasPrefix(comment, "{") {
			continue
		}
		parts := strings.Split(comment, "…")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		out = append(out, regexp.MustCompile(strings.Join(parts, ".*")))
	}
	return out
}

// lockedBuffer collects a child's output, written by exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listeningAddr is the address in the server's "carebridge listening on
// http://ADDR" line, once it is printed.
var listeningAddr = regexp.MustCompile(`carebridge listening on http://(\S+)`)

// Every path under examples/ that the README names exists, and every
// sample file here is named by the README.
func TestReadmeNamesTheExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`examples/[A-Za-z0-9_.-]+`).FindAllString(string(readme), -1) {
		named[strings.TrimPrefix(m, "examples/")] = true
	}
	for name := range named {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("the README names examples/%s, which does not exist", name)
		}
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") && !named[f.Name()] {
			t.Errorf("examples/%s is not used by the README", f.Name())
		}
	}
}

// The README's sh blocks run as written, in order, against a demo server,
// and answer what the README says they answer.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs every README command")
	}
	for _, tool := range []string{"bash", "curl", "openssl", "sed", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's commands need %s", tool)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(bin, "carebridge"), "./cmd/carebridge")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	environ := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CAREBRIDGE_DB="+filepath.Join(t.TempDir(), "carebridge.db"),
		"PASSWORD=billing-password-1",
	)
	// Port 0: the server picks a free port and prints it, so no other test
	// can take it in between.
	var serverLog lockedBuffer
	srv := exec.Command(filepath.Join(bin, "carebridge"), "serve", "--demo", "--addr", "127.0.0.1:0")
	srv.Env, srv.Stdout, srv.Stderr = environ, &serverLog, &serverLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
		}
	})
	var addr string
	for deadline := time.Now().Add(30 * time.Second); ; {
		if addr == "" {
			if m := listeningAddr.FindStringSubmatch(serverLog.String()); m != nil {
				addr = m[1]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo server did not get ready:\n%s", serverLog.String())
		}
		if addr == "" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}

	blocks := shBlocks(string(readme))
	if len(blocks) < 10 {
		t.Fatalf("found %d sh blocks in the README", len(blocks))
	}
	var script strings.Builder
	var want []*regexp.Regexp
	ran := 0
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '### block %d'\n", i+1)
		for _, c := range commands(b) {
			if skipped(c) {
				continue
			}
			script.WriteString(strings.ReplaceAll(c, "127.0.0.1:8080", addr))
			ran++
		}
		want = append(want, expected(b)...)
	}
	bash := exec.Command("bash", "-e", "-o", "pipefail", "-c", script.String())
	bash.Dir, bash.Env = root, environ
	out, err := bash.CombinedOutput()
	output := string(out)
	if err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, output)
	}
	t.Logf("ran %d commands of %d blocks", ran, len(blocks))

	// Every CRM.COM answer is OK, no JSON-RPC or partner call failed, and
	// every JSON-RPC call carried its token.
	for _, m := range regexp.MustCompile(`"status":\{"code":"([A-Z_]+)"`).FindAllStringSubmatch(output, -1) {
		if m[1] != "OK" {
			t.Errorf("a CRM.COM command answered %s", m[1])
		}
	}
	for _, bad := range []string{`"error":{`, "token is required", "carebridge: unknown command"} {
		if strings.Contains(output, bad) {
			t.Errorf("the output holds %q", bad)
		}
	}
	for _, re := range want {
		if !re.MatchString(output) {
			t.Errorf("the README shows an answer the commands did not give: %s", re)
		}
	}
	// Every sample file was accepted by the command the README shows it
	// with.
	for _, w := range []string{
		"3 imported, 0 rejected",             // examples/customers.csv
		"2 imported, 0 rejected",             // examples/customers.json
		"2 created, 0 duplicate, 0 rejected", // examples/charge-report.json
	} {
		if !strings.Contains(output, w) {
			t.Errorf("the output lacks %q", w)
		}
	}
	if t.Failed() || os.Getenv("SHOWOUT") != "" {
		t.Logf("output:\n%s", output)
	}
}
