package storetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"carebridge/internal/netflix"
)

// CrashEnv carries Crash.Where to the child process of the crash test.
const CrashEnv = "CAREBRIDGE_CRASH_TEST_DB"

// crashBatch is how many charges the child claims.
const crashBatch = 100

// Crash is what the crash test needs of an engine for one database.
type Crash struct {
	// Where names the database for the child process, which opens it
	// with the function its TestCrashHelper gives CrashHelper.
	Where string
	// Claimed, when set, runs while the child holds its claim of batch
	// charges; Killed, when set, after the child died and before the
	// next processor runs (to wait until the database has noticed).
	Claimed func(t *testing.T, batch int)
	Killed  func(t *testing.T)
}

// CrashHelper is the child process of the crash test: every engine's test
// package runs it as its TestCrashHelper. It claims a batch and stops
// inside the settlement, before the commit, until it is killed; open
// opens the database Crash.Where names.
func CrashHelper(t *testing.T, open func(t *testing.T, where string) netflix.Store) {
	where := os.Getenv(CrashEnv)
	if where == "" {
		t.Skip("runs only as the child of the contract's ProcessDiesBetweenClaimAndCommit")
	}
	store := open(t, where)
	calls := 0
	store.SettleCharges(context.Background(), crashBatch, settleAt, func(c netflix.Charge, sub *netflix.Subscription) netflix.ChargeStatus {
		calls++
		if calls == crashBatch/2 {
			fmt.Println("claimed") // half the batch decided, nothing committed
			select {}
		}
		return netflix.Settlement(c, sub)
	})
	t.Fatal("the settlement returned; it should have been killed")
}

// A processor killed (SIGKILL) between claiming charges and committing
// their settlement loses nothing: the charges are still PENDING, and the
// next processor settles each exactly once.
func testProcessDies(t *testing.T, open Open) {
	s := open(t)
	const n = 200
	seedCharges(t, s, n)
	db := s.SQL(t)
	crash := s.Crash(t)

	child := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	child.Env = append(os.Environ(), CrashEnv+"="+crash.Where)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "claimed" {
				claimed <- true
				io.Copy(io.Discard, out)
				return
			}
		}
		claimed <- false
	}()
	select {
	case ok := <-claimed:
		if !ok {
			child.Wait()
			t.Fatal("the child ended without claiming")
		}
	case <-time.After(60 * time.Second):
		child.Process.Kill()
		child.Wait()
		t.Fatal("the child did not claim within a minute")
	}
	if crash.Claimed != nil {
		crash.Claimed(t, crashBatch)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	pending, events := settlementCounts(t, db)
	if pending != n || events[0] != n {
		t.Fatalf("after the crash: %d PENDING, settlement events %v; want all %d PENDING and none settled", pending, events, n)
	}
	if crash.Killed != nil {
		crash.Killed(t)
	}
	settled, err := processor(t, s).Drain(context.Background())
	if err != nil || settled != n {
		t.Fatalf("the next processor settled %d, %v; want %d", settled, err, n)
	}
	pending, events = settlementCounts(t, db)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want each settled once", pending, events)
	}
}
