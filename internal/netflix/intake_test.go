package netflix_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

var intakeAt = time.Date(2017, 2, 3, 0, 0, 0, 0, time.UTC)

func reported(partner, customer string) netflix.NewCharge {
	return netflix.NewCharge{PartnerChargeID: partner, Customer: customer, Amount: eur599, ReceivedOn: intakeAt.Add(-time.Hour)}
}

func ingest(t *testing.T, m *memory, report string, charges ...netflix.NewCharge) []netflix.IngestResult {
	t.Helper()
	res, err := netflix.NewRecords(m).IngestCharges(context.Background(), 1, charges, report, intakeAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(charges) {
		t.Fatalf("%d results for %d charges", len(res), len(charges))
	}
	return res
}

// A partner id given twice in one report is inserted once (the memory
// engine refuses a batch that offers it twice) and answered twice.
func TestIngestRepeatsInAReport(t *testing.T) {
	t.Parallel()
	m := newMemory()
	other := reported("p1", "c9")
	res := ingest(t, m, "sig-1", reported("p1", "c1"), reported("p2", "c2"), reported("p1", "c1"), other)
	if res[0].Duplicate || res[0].ChargeID == 0 || res[1].Duplicate || res[1].ChargeID == 0 {
		t.Fatalf("new charges answered %+v, %+v", res[0], res[1])
	}
	if !res[0].Inserted || !res[1].Inserted || res[2].Inserted {
		t.Fatalf("inserted %v %v %v, want the first two alone", res[0].Inserted, res[1].Inserted, res[2].Inserted)
	}
	if !res[2].Duplicate || res[2].ChargeID != res[0].ChargeID {
		t.Fatalf("the repeat answered %+v, want a duplicate of %d", res[2], res[0].ChargeID)
	}
	if carebridge.ErrorCode(res[3].Err) != carebridge.ECONFLICT {
		t.Fatalf("the repeat with other data answered %+v, want ECONFLICT", res[3])
	}
	if len(m.data.charges) != 2 {
		t.Fatalf("%d charges stored, want 2", len(m.data.charges))
	}
	for _, e := range m.data.chEvents {
		if e.From != "" || e.To != netflix.Pending || e.Actor != netflix.IntakeActor || !e.At.Equal(intakeAt) {
			t.Fatalf("intake event %+v", e)
		}
	}
	if len(m.data.chEvents) != 2 {
		t.Fatalf("%d intake events, want 2", len(m.data.chEvents))
	}
}

func TestIngestIsIdempotent(t *testing.T) {
	t.Parallel()
	m := newMemory()
	first := ingest(t, m, "sig-1", reported("p1", "c1"))
	if !first[0].Inserted {
		t.Fatalf("first report answered %+v, want inserted", first[0])
	}
	// The same report again: answered as the first time, though nothing
	// was inserted this time.
	again0 := ingest(t, m, "sig-1", reported("p1", "c1"))[0]
	if again0.Inserted {
		t.Fatalf("re-sent report answered %+v, want not inserted again", again0)
	}
	if again0.Inserted = true; again0 != first[0] {
		t.Fatalf("re-sent report answered %+v, want %+v", again0, first[0])
	}
	// Another report with the charge: a duplicate, stored nowhere again.
	again := ingest(t, m, "sig-2", reported("p1", "c1"), reported("p3", "c3"))
	if !again[0].Duplicate || again[0].ChargeID != first[0].ChargeID || again[1].Duplicate {
		t.Fatalf("answered %+v", again)
	}
	if len(m.data.charges) != 2 || len(m.data.chEvents) != 2 {
		t.Fatalf("%d charges and %d events stored, want 2 and 2", len(m.data.charges), len(m.data.chEvents))
	}
	if m.data.reports[again[1].ChargeID] != "sig-2" {
		t.Fatalf("report kept %q, want sig-2", m.data.reports[again[1].ChargeID])
	}
}

func TestIngestNothing(t *testing.T) {
	t.Parallel()
	m := newMemory()
	if res := ingest(t, m, "sig"); res == nil || m.txs != 0 {
		t.Fatalf("answered %v in %d transactions, want an empty answer and none", res, m.txs)
	}
}

func TestIngestIsAllOrNothing(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.fail = func(p string) error {
		if p == "StoredCharges" {
			return errors.New("connection lost")
		}
		return nil
	}
	res, err := netflix.NewRecords(m).IngestCharges(context.Background(), 1, []netflix.NewCharge{reported("p1", "c1")}, "", intakeAt)
	if err == nil || res != nil {
		t.Fatalf("answered %+v, %v; want an error alone", res, err)
	}
	if len(m.data.charges)+len(m.data.chEvents) != 0 {
		t.Fatalf("a failed intake left charges %v, events %v", m.data.charges, m.data.chEvents)
	}
}
