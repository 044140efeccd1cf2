package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// SQL is a statement both dialects read alike, in each one's placeholders.
// Both forms are fixed when the program starts, so each engine's statement
// cache (keyed by the text) keeps working.
type SQL struct {
	SQLite   string // ? or ?N placeholders
	Postgres string // $1…$n placeholders
}

// shared makes the SQL of a statement written with SQLite's placeholders.
func shared(text string) SQL { return SQL{SQLite: text, Postgres: Rebind(text)} }

// Suffix appends a clause without placeholders to both forms.
func (q SQL) Suffix(clause string) SQL {
	return SQL{SQLite: q.SQLite + clause, Postgres: q.Postgres + clause}
}

// Rebind rewrites the placeholders of query for PostgreSQL: each ? becomes
// $1, $2, … in order, and a numbered ?N becomes $N. Quoted text ('…' and
// "…") is copied as it is. A query that mixes the two forms, or leaves a
// quote open, is a programming error: Rebind panics, when the package
// loads.
func Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n, numbered := 0, false
	for i := 0; i < len(query); i++ {
		switch c := query[i]; c {
		case '\'', '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				panic(fmt.Sprintf("storage: unterminated quote in %q", query))
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				numbered = true
				b.WriteString("$" + query[i+1:j])
				i = j - 1
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
			if numbered && n > 0 {
				panic(fmt.Sprintf("storage: ? and ?N mixed in %q", query))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
