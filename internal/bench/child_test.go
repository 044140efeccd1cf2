package bench

import (
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// The command may hold spaces and parentheses; utime 250 and stime 50
	// ticks are fields 14 and 15.
	line := "4242 (carebridge (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 100 1000000 300\n"
	got, err := parseStat([]byte(line))
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStat = %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "4242 carebridge S 1", "4242 (cb) S 1 2 3", "4242 (cb) S 1 4242 4242 0 -1 4194560 1234 0 0 0 x 50 0"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	status := "Name:\tcarebridge\nVmHWM:\t   68000 kB\nVmRSS:\t   16000 kB\nThreads:\t9\n"
	rss, hwm, err := parseStatus([]byte(status))
	if err != nil || rss != 16000<<10 || hwm != 68000<<10 {
		t.Fatalf("parseStatus = %d, %d, %v", rss, hwm, err)
	}
	if _, _, err := parseStatus([]byte("VmRSS:\t1 MB\nVmHWM:\t2 kB\n")); err == nil {
		t.Error("a unit other than kB was accepted")
	}
	if _, _, err := parseStatus([]byte("VmRSS:\t1 kB\n")); err == nil {
		t.Error("a missing VmHWM was accepted")
	}
}
