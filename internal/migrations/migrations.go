package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Baseline is the first version of the common numbering: the whole schema
// of the release that introduced it.
const Baseline = 100

// steps names the versions of the common numbering, from Baseline on. A
// new schema step is added here and as a file of that name to every
// engine.
var steps = []string{
	"baseline",
	"care_plane",
	"charge_decision",
	"api_keys",
	"idempotency",
	"webhooks",
}

// Latest is the version of the last step: the schema version of a
// database this release has migrated.
func Latest() int { return Baseline + len(steps) - 1 }

// Migration is one numbered schema step, from a file named NNNN_what.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Plan is an engine's migrations: the steps of the common numbering, and
// the frozen ones of the engine's own numbering before it, which bring a
// database of an earlier release to the baseline's schema.
type Plan struct {
	Steps  []Migration // Baseline, Baseline+1, …
	Legacy []Migration // 1, 2, 3…
}

// Load reads an engine's plan from dir in fsys: the steps from dir, each
// named as steps says, and the legacy migrations from dir/legacy.
func Load(fsys fs.FS, dir string) (Plan, error) {
	ms, err := ReadDir(fsys, dir, Baseline)
	if err != nil {
		return Plan{}, err
	}
	for i, m := range ms {
		if i >= len(steps) || m.Name != fileName(m.Version, steps[i]) {
			return Plan{}, fmt.Errorf("migration %s is not a step of the common numbering", m.Name)
		}
	}
	if len(ms) != len(steps) {
		return Plan{}, fmt.Errorf("migration %s is missing", fileName(Baseline+len(ms), steps[len(ms)]))
	}
	legacy, err := ReadDir(fsys, path.Join(dir, "legacy"), 1)
	if err != nil {
		return Plan{}, err
	}
	if len(legacy) >= Baseline {
		return Plan{}, fmt.Errorf("legacy migration %s reaches the common numbering", legacy[len(legacy)-1].Name)
	}
	return Plan{Steps: ms, Legacy: legacy}, nil
}

func fileName(version int, name string) string {
	return fmt.Sprintf("%04d_%s.sql", version, name)
}

// ReadDir reads the .sql files of dir in fsys, in order, and checks that
// they are numbered first, first+1, first+2… without gaps.
func ReadDir(fsys fs.FS, dir string, first int) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != first+i {
			return nil, fmt.Errorf("migrations must be numbered %d, %d, %d…; found %s", first, first+1, first+2, m.Name)
		}
	}
	return ms, nil
}
