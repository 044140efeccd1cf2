package metrics

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	cases := []struct {
		name              string
		info              *debug.BuildInfo
		ok                bool
		version, revision string
	}{
		{"no build information", nil, false, "devel", "unknown"},
		{"a development build", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "devel", "unknown"},
		{"a tagged build from a checkout", &debug.BuildInfo{
			Main:     debug.Module{Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "630f516abc"}},
		}, true, "v1.4.0", "630f516abc"},
	}
	for _, c := range cases {
		version, revision := buildVersion(c.info, c.ok)
		if version != c.version || revision != c.revision {
			t.Errorf("%s: version %q revision %q, want %q %q", c.name, version, revision, c.version, c.revision)
		}
	}
}
