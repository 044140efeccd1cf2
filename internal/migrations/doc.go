// Package migrations holds what the storage engines share about their
// schemas: one numbering of the schema versions, the loop that brings a
// database up to date, and the tables each plugin owns. Each engine keeps
// only its SQL files and the glue to its driver (Engine, Tx).
//
// # One numbering
//
// Version N means the same schema on either engine. The common numbering
// starts at Baseline (100), the schema of the release that introduced it;
// every later step is one file per engine under the same name, listed in
// steps, so that a step written for one engine only does not load. To
// change the schema, name the step in steps and add NNNN_name.sql to each
// engine's migrations directory.
//
// Before it each engine had its own numbering, 1…10 on SQLite and 1…5 on
// PostgreSQL, a number meaning different things on each. Those files are
// frozen in each engine's migrations/legacy directory: no step is ever
// added there, and none is changed. Both numberings share the
// schema_migrations table, so a database says which one it is on:
//
//   - none recorded: a new database. Every step runs, the baseline first,
//     which creates the whole schema.
//   - the highest below Baseline: a database of an earlier release. The
//     legacy steps it lacks run (a SQLite database at 8 gets 9 and 10), which
//     leaves it with the baseline's schema; the baseline is then recorded as
//     applied without running, and the later steps run.
//   - Baseline or above: the steps not yet recorded run.
//
// Baseline is above every legacy version of either engine, so the highest
// version recorded alone tells which numbering a database is on. Each
// engine's tests build databases of earlier releases from its legacy files,
// upgrade them, and compare their rows and schema with a new database's:
// that keeps each baseline equal to what its legacy steps leave.
//
// Older rows of schema_migrations are kept: they are the database's
// history. A database recording a version this binary does not know is
// refused, since running on it could corrupt what the newer schema holds;
// for the same reason a binary of an earlier release refuses a database
// upgraded here, its newest version (Baseline) being above all it knows.
package migrations
