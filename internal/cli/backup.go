package cli

import (
	"fmt"

	"carebridge/internal/server"
)

// backup writes a consistent copy of a SQLite database, while servers go
// on using it, to FILE.
func backup(e env, args []string) error {
	fs, db := e.helpFlags("backup", "[--db URL] FILE",
		"Writes a consistent copy of the SQLite database to FILE while servers go on using it (owner-only, replaced whole). For PostgreSQL, use pg_dump.", args)
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if err := need([2]string{"FILE", file}); err != nil {
		return err
	}
	if err := server.Backup(e.ctx, *db, file); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s\n", *db, file)
	return nil
}
