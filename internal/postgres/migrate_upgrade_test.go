package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge/internal/migrations"
	"carebridge/internal/testdb"
)

// The legacy migrations are what databases of earlier releases ran; a
// change to one would make a database built from them differ from one
// upgraded in the field.
func TestLegacyMigrationsAreFrozen(t *testing.T) {
	t.Parallel()
	h := sha256.New()
	for _, m := range legacy(t) {
		fmt.Fprintf(h, "%s\n%s\n", m.Name, m.SQL)
	}
	const want = "39052baba9e14e742c0ef111f4c72ce328b3595410c351df3dbdeb4fb6610c00"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("the legacy migrations changed (sha256 %s)", got)
	}
}

// A database of an earlier release, at the last version of PostgreSQL's
// own numbering or an older one, is upgraded in place: every row it held
// is there after, and its schema is a new database's.
func TestUpgradeOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	fresh := openURL(t, testdb.PostgresURL(t))
	if err := fresh.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := schemaOf(t, fresh)
	for _, version := range []int{5, 3} {
		t.Run(fmt.Sprint(version), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openURL(t, testdb.PostgresURL(t))
			earlierRelease(t, db, version)
			if _, err := db.pool.Exec(ctx, seedSQL); err != nil {
				t.Fatal(err)
			}
			before := contentsOf(t, db)

			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if got := schemaOf(t, db); !slices.Equal(got, want) {
				t.Errorf("schema after the upgrade differs from a new database's:\n%s", diff(got, want))
			}
			after := contentsOf(t, db)
			for table, rows := range before {
				if _, ok := after[table]; !ok {
					continue // dropped by a legacy migration, as it was in the field
				}
				if got := after.project(t, db, table, rows.columns); !slices.Equal(got, rows.rows) {
					t.Errorf("%s after the upgrade: %q, want %q", table, got, rows.rows)
				}
			}
			if v, err := db.SchemaVersion(ctx); err != nil || v != newest(t) {
				t.Errorf("SchemaVersion = %d, %v; want %d", v, err, newest(t))
			}
			got := appliedVersions(t, db)
			if len(got) != len(legacy(t))+steps(t) || got[migrations.Baseline] != 1 || got[newest(t)] != 1 {
				t.Errorf("schema_migrations records %v; want 1…%d and %d…%d", got, len(legacy(t)), migrations.Baseline, newest(t))
			}

			// The stores work on it, and numbers go on from the old rows.
			s := NewTenancyStore(db)
			if _, err := s.SettleSetting(ctx, "demo", "no"); err != nil {
				t.Fatal(err)
			}
			org, err := s.CreateOrganisation(ctx, "after", time.Unix(5, 0))
			if err != nil || org.ID != 2 {
				t.Fatalf("CreateOrganisation after the upgrade = %+v, %v; want id 2", org, err)
			}
		})
	}
}

// seedSQL writes rows the schemas of PostgreSQL's versions 3 to 5 all
// hold.
const seedSQL = `
INSERT INTO organisations (name, created_at) VALUES ('acme', 1);
INSERT INTO operators (organisation_id, name, alternative_code, created_at, partner_secret) VALUES (1, 'op', 'OP', 1, 'secret');
INSERT INTO users (organisation_id, operator_id, username, password_hash, created_at) VALUES (1, 1, 'ann', 'hash', 1);
INSERT INTO netflix_promotions (operator_id, code, name, effective_from, created_at) VALUES (1, 'P1', 'Promo', 1, 1);
INSERT INTO netflix_subscriptions (operator_id, customer_identifier, life_cycle_state, netflix_state, customer_email, promotion_id, created_at, updated_at)
    VALUES (1, 'c1', 'EFFECTIVE', 'EFFECTIVE', '{"address": "a@b.c"}', 1, 1, 2);
INSERT INTO netflix_charges (operator_id, partner_charge_id, customer_identifier, amount_minor, currency, received_on, status, set_as_approved_on, subscription_id, listed_pending, created_at)
    VALUES (1, 'p1', 'c1', 599, 'USD', 1, 'APPROVED', 2, 1, true, 1), (1, 'p2', 'c1', 299, 'USD', 3, 'PENDING', NULL, NULL, false, 3);
INSERT INTO netflix_customer_prices (operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (1, 'c1', 599, 'USD', 1);
INSERT INTO netflix_charge_acknowledgements (charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (1, 'PENDING', 1, 'R1', 1, 2);
INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id) VALUES (1, 'R1', 1);
INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at) VALUES (1, 'PENDING', 'APPROVED', 'settlement', 2);
INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by) VALUES ('ESN-1', 1, 1, 1);
INSERT INTO admin_tokens (name, token_hash, created_at) VALUES ('ops', '\x0102', 1);
INSERT INTO audit_log (at, actor, action, subject) VALUES (1, 'ops', 'factory-reset', 'ocp');
INSERT INTO plugin_states (callsign, active) VALUES ('netflix', true);
INSERT INTO ocp_customers (id, nsid, name, ocp_services, updated_at) VALUES (7, 70, 'Ocean', '["a"]', 1);
INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at) VALUES (3, 'App', 'client', 'hash', 1);
INSERT INTO ocp_application_customers (app_id, customer_id) VALUES (3, 7);
`

// schemaOf describes the schema of db, one line a fact: its columns in
// order with their types, defaults and identities, its constraints, its
// indexes and its sequences. Names are those within the test's schema.
func schemaOf(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	q := func(format, query string) {
		t.Helper()
		for _, row := range queryAll(t, db, query) {
			out = append(out, fmt.Sprintf(format, row...))
		}
	}
	q("column %v.%v: %v nullable %v default %v identity %v %v", `SELECT table_name, column_name, data_type, is_nullable,
		coalesce(column_default, ''), is_identity, coalesce(identity_generation, '')
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	q("constraint %v %v: %v", `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`)
	q("index %v %v: %v", `SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '')
		FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2`)
	q("sequence %v: %v", `SELECT sequencename, data_type::text FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1`)
	return out
}

// tableRows are the rows of one table as text, sorted, with the columns
// they are made of.
type tableRows struct {
	columns []string
	rows    []string
}

type contents map[string]tableRows

// contentsOf reads every row of every table of db but schema_migrations.
func contentsOf(t *testing.T, db *DB) contents {
	t.Helper()
	out := contents{}
	for _, r := range queryAll(t, db, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`) {
		table := r[0].(string)
		var columns []string
		for _, c := range queryAll(t, db, `SELECT column_name::text FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = '`+table+`' ORDER BY ordinal_position`) {
			columns = append(columns, c[0].(string))
		}
		out[table] = tableRows{columns, out.project(t, db, table, columns)}
	}
	return out
}

// project reads the columns of every row of table, sorted.
func (contents) project(t *testing.T, db *DB, table string, columns []string) []string {
	t.Helper()
	var rows []string
	for _, r := range queryAll(t, db, `SELECT `+strings.Join(columns, ", ")+` FROM `+table) {
		rows = append(rows, fmt.Sprint(r...))
	}
	slices.Sort(rows)
	return rows
}

func queryAll(t *testing.T, db *DB, query string) [][]any {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// diff lists the lines only one of got and want has.
func diff(got, want []string) string {
	var b strings.Builder
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	if b.Len() == 0 {
		return "(the same lines in another order)"
	}
	return b.String()
}
