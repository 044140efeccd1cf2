// Package storage holds what the two SQL engines, internal/sqlite and
// internal/postgres, share: the SQL text both dialects read alike
// (queries.go), the column lists, and the scanning of rows into domain
// values. What one dialect says otherwise (json_each or arrays, locking
// clauses, upsert details) stays in its engine's queries.go.
package storage

// Scanner is what one row and a cursor of rows have in common, in
// database/sql and in pgx alike.
type Scanner interface{ Scan(dest ...any) error }

// Rows is a cursor of rows, as *sql.Rows and pgx.Rows both are; the caller
// closes it.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Each calls fn with every row, then reports the cursor's error.
func Each(rows Rows, fn func(Scanner) error) error {
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Append appends every row, read with scan, to dst: pass nil for a nil
// list when there are no rows, an empty slice for an empty one.
func Append[T any](dst []T, rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	return dst, rows.Err()
}

// ScanID reads a column of ids.
func ScanID(row Scanner) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}

// ScanString reads a column of text.
func ScanString(row Scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// ScanVersion reads a column of schema versions.
func ScanVersion(row Scanner) (int, error) {
	var v int
	err := row.Scan(&v)
	return v, err
}
