package examples

import (
	"os"
	"strings"
	"testing"
)

// The README's webhook verifier is the example receiver's Verify, as the
// file has it: the server's tests deliver to that receiver, so the README
// shows code that verifies real deliveries.
func TestReadmeWebhookVerifier(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("webhookreceiver/receiver.go")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "// Verify checks")
	if start < 0 {
		t.Fatal("receiver.go has no Verify")
	}
	verify := string(src[start:])
	for _, b := range fencedBlocks(string(readme), "go") {
		if strings.Contains(b, "func Verify(") {
			if b != verify {
				t.Fatalf("the README's Verify differs from examples/webhookreceiver/receiver.go:\n%s", b)
			}
			return
		}
	}
	t.Fatal("the README shows no webhook verifier")
}
