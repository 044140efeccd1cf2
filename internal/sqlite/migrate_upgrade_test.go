package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge/internal/migrations"
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
	const want = "3365c3ab24abd4548132f05298a85cca180c18572319321f2489ec135be8a10c"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("the legacy migrations changed (sha256 %s)", got)
	}
}

// A database of an earlier release, at the last version of SQLite's own
// numbering or an older one, is upgraded in place: every row it held is
// there after, and its schema is a new database's.
func TestUpgradeOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	fresh := openTemp(t)
	if err := fresh.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := schemaOf(t, fresh)
	for _, version := range []int{10, 8} {
		t.Run(fmt.Sprint(version), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openTemp(t)
			earlierRelease(t, db, version)
			if _, err := db.write.ExecContext(ctx, seedSQL); err != nil {
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
			var recorded []int
			rows, err := db.read.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v int
				rows.Scan(&v)
				recorded = append(recorded, v)
			}
			rows.Close()
			if len(recorded) != len(legacy(t))+steps(t) || recorded[len(legacy(t))] != migrations.Baseline || recorded[len(recorded)-1] != newest(t) {
				t.Errorf("schema_migrations records %v; want 1…%d and %d…%d", recorded, len(legacy(t)), migrations.Baseline, newest(t))
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

// seedSQL writes rows the schemas of SQLite's versions 8 to 10 all hold.
const seedSQL = `
INSERT INTO organisations (name, created_at) VALUES ('acme', 1);
INSERT INTO operators (organisation_id, name, alternative_code, created_at, partner_secret) VALUES (1, 'op', 'OP', 1, 'secret');
INSERT INTO users (organisation_id, operator_id, username, password_hash, created_at) VALUES (1, 1, 'ann', 'hash', 1);
INSERT INTO netflix_promotions (operator_id, code, name, effective_from, created_at) VALUES (1, 'P1', 'Promo', 1, 1);
INSERT INTO netflix_subscriptions (operator_id, customer_identifier, life_cycle_state, netflix_state, promotion_id, created_at, updated_at)
    VALUES (1, 'c1', 'EFFECTIVE', 'EFFECTIVE', 1, 1, 2);
INSERT INTO netflix_charges (operator_id, partner_charge_id, customer_identifier, amount_minor, currency, received_on, status, set_as_approved_on, subscription_id, listed_pending, created_at)
    VALUES (1, 'p1', 'c1', 599, 'USD', 1, 'APPROVED', 2, 1, 1, 1), (1, 'p2', 'c1', 299, 'USD', 3, 'PENDING', NULL, NULL, 0, 3);
INSERT INTO netflix_customer_prices (operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (1, 'c1', 599, 'USD', 1);
INSERT INTO netflix_charge_acknowledgements (charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (1, 'PENDING', 1, 'R1', 1, 2);
INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id) VALUES (1, 'R1', 1);
INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at) VALUES (1, 'PENDING', 'APPROVED', 'settlement', 2);
INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by) VALUES ('ESN-1', 1, 1, 1);
INSERT INTO admin_tokens (name, token_hash, created_at) VALUES ('ops', x'0102', 1);
INSERT INTO audit_log (at, actor, action, subject) VALUES (1, 'ops', 'factory-reset', 'ocp');
INSERT INTO plugin_states (callsign, active) VALUES ('netflix', true);
INSERT INTO ocp_customers (id, nsid, name, ocp_services, updated_at) VALUES (7, 70, 'Ocean', '["a"]', 1);
INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at) VALUES (3, 'App', 'client', 'hash', 1);
INSERT INTO ocp_application_customers (app_id, customer_id) VALUES (3, 7);
`

// schemaOf describes the schema of db, one line a fact: its tables and
// how each stores its rows and numbers them, their columns, constraints and foreign keys,
// and their indexes with the columns and condition of each.
func schemaOf(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	q := func(format string, query string, args ...any) {
		t.Helper()
		for _, row := range queryAll(t, db, query, args...) {
			out = append(out, fmt.Sprintf(format, row...))
		}
	}
	type object struct{ kind, name, table, sql string }
	var objects []object
	for _, r := range queryAll(t, db, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`) {
		objects = append(objects, object{r[0].(string), r[1].(string), r[2].(string), r[3].(string)})
	}
	for _, o := range objects {
		out = append(out, o.kind+" "+o.name+" on "+o.table)
		switch o.kind {
		case "table":
			q("table %v: without rowid %v, strict %v", `SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ?`, o.name)
			q("column %v: %v %v type %q not null %v default %v pk %v hidden %v", `SELECT ?, cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)`, o.name, o.name)
			q("foreign key %v: %v.%v %v.%v → %v.%v on update %v on delete %v", `SELECT ?, id, seq, "from", "table", "to", on_update, on_delete FROM pragma_foreign_key_list(?)`, o.name, o.name)
			q("index of %v: %v unique %v origin %v partial %v", `SELECT ?, name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name`, o.name, o.name)
			if strings.Contains(strings.ToUpper(o.sql), "AUTOINCREMENT") {
				out = append(out, "table "+o.name+": AUTOINCREMENT")
			}
			for _, c := range checks(o.sql) {
				out = append(out, "check on "+o.name+": "+c)
			}
		case "index":
			q("index %v: %v %v %q desc %v coll %v key %v", `SELECT ?, seqno, cid, name, "desc", coll, key FROM pragma_index_xinfo(?)`, o.name, o.name)
			if o.sql != "" {
				out = append(out, "index "+o.name+": "+strings.Join(strings.Fields(o.sql), " "))
			}
		}
	}
	return out
}

var checkKeyword = regexp.MustCompile(`\bCHECK\s*\(`)

// checks returns the CHECK constraints in a CREATE TABLE statement, with
// their spacing made even.
func checks(sql string) []string {
	var out []string
	for _, loc := range checkKeyword.FindAllStringIndex(sql, -1) {
		depth, end := 0, loc[1]-1
		for i := end; i < len(sql); i++ {
			if sql[i] == '(' {
				depth++
			} else if sql[i] == ')' {
				if depth--; depth == 0 {
					end = i + 1
					break
				}
			}
		}
		out = append(out, strings.Join(strings.Fields(sql[loc[0]:end]), " "))
	}
	slices.Sort(out)
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
	for _, r := range queryAll(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'`) {
		table := r[0].(string)
		var columns []string
		for _, c := range queryAll(t, db, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table) {
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

func queryAll(t *testing.T, db *DB, query string, args ...any) [][]any {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	n := len(must(rows.Columns()))
	var out [][]any
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
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
