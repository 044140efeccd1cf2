package storage

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`WHERE a = ? AND b = ?`, `WHERE a = $1 AND b = $2`},
		{`SET a = ?1 WHERE id = ?2 AND b > ?1`, `SET a = $1 WHERE id = $2 AND b > $1`},
		{`VALUES (?10, ?2)`, `VALUES ($10, $2)`},
		{`WHERE s = 'why?' AND a = ?`, `WHERE s = 'why?' AND a = $1`},
		{`WHERE s = 'it''s?' AND a = ?`, `WHERE s = 'it''s?' AND a = $1`},
		{`SELECT "odd?name" FROM t WHERE a = ?`, `SELECT "odd?name" FROM t WHERE a = $1`},
	} {
		if got := Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRebindRefuses(t *testing.T) {
	for _, q := range []string{`a = ?1 AND b = ?`, `a = ? AND b = ?2`, `WHERE s = 'open`} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Rebind(%q) did not panic", q)
				}
			}()
			Rebind(q)
		}()
	}
}

// TestSharedSQL checks shared statements of each placeholder form: the
// PostgreSQL text holds no ? outside quotes, and numbers from $1.
func TestSharedSQL(t *testing.T) {
	all := []SQL{insertOrganisationSQL, hasOrganisationsSQL, profileSQL, grantedProfileSQL, releaseSessionSQL, insertSubscriptionSQL,
		UpsertCustomer, replaceCustomerSQL, addCustomerPriceSQL, pendingBacklogSQL, chargeCountsSQL}
	for _, q := range settleCharge {
		all = append(all, q)
	}
	for _, q := range all {
		if strings.Contains(unquoted(q.Postgres), "?") {
			t.Errorf("a ? is left in %q", q.Postgres)
		}
		if strings.Contains(q.SQLite, "?") != strings.Contains(q.Postgres, "$1") {
			t.Errorf("%q binds as %q", q.SQLite, q.Postgres)
		}
	}
	if got := grantedProfileSQL.Postgres; !strings.HasSuffix(got, "g.app_id = $2 AND g.customer_id = c.id)") || !strings.Contains(got, "WHERE id = $1") {
		t.Errorf("grantedProfileSQL binds as %q", got)
	}
}

// unquoted is q without its quoted text.
func unquoted(q string) string {
	var b strings.Builder
	in := byte(0)
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case in != 0 && c == in:
			in = 0
		case in != 0:
		case c == '\'' || c == '"':
			in = c
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestSettleChargeUnknownStatus(t *testing.T) {
	if _, err := SettleCharge("PENDING"); err == nil {
		t.Error("SettleCharge(PENDING) found a statement")
	}
	for status, q := range settleCharge {
		if !strings.Contains(q.SQLite, "SET status = ?, set_as_") || !strings.Contains(q.Postgres, "$4 AND status = 'PENDING'") {
			t.Errorf("%s: %q / %q", status, q.SQLite, q.Postgres)
		}
	}
}
