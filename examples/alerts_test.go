package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge/internal/metrics"
)

// The README's example alert rules are valid Prometheus rules (promtool,
// which CI installs, checks them) and name only metrics the server
// exports, so a renamed metric cannot leave an alert that never fires.
func TestReadmeAlertRules(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rules string
	for _, b := range fencedBlocks(string(readme), "yaml") {
		if strings.HasPrefix(b, "groups:") {
			rules = b
		}
	}
	if rules == "" {
		t.Fatal("the README shows no alert rules")
	}

	m := metrics.New()
	m.Observe("health", "GET /healthz", 200, time.Millisecond) // a vector shows once it has a series
	m.WatchPending(func(context.Context) (int64, time.Time, error) { return 0, time.Time{}, nil }, time.Now)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	for _, name := range regexp.MustCompile(`carebridge_[a-z_]+`).FindAllString(rules, -1) {
		if !exported[name] {
			t.Errorf("an alert rule names %s, which the server does not export", name)
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not on PATH; CI installs it (Debian package prometheus)")
		}
		t.Skip("promtool is not on PATH (Debian package prometheus): the rules are not checked")
	}
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
