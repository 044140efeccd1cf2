package jsonrpc

import "testing"

func TestParseDesignator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, path string
		want          Designator
	}{
		{"document 000 spelling", "Netflix.1.factoryReset", "", Designator{Callsign: "Netflix", Version: 1, Method: "factoryReset"}},
		{"document 001 spelling", "CustomerCareOperations.1.factoryreset", "", Designator{Callsign: "CustomerCareOperations", Version: 1, Method: "factoryreset"}},
		{"index", "Controller.1.status@Netflix", "", Designator{Callsign: "Controller", Version: 1, Method: "status", Index: "Netflix"}},
		{"index without version", "Controller.status@Netflix", "", Designator{Callsign: "Controller", Method: "status", Index: "Netflix"}},
		{"no version", "Controller.status", "", Designator{Callsign: "Controller", Method: "status"}},
		{"version 2", "Netflix.2.factoryReset", "", Designator{Callsign: "Netflix", Version: 2, Method: "factoryReset"}},
		{"version 10", "Netflix.10.factoryReset", "", Designator{Callsign: "Netflix", Version: 10, Method: "factoryReset"}},
		{"index keeps later @", "Controller.1.status@a@b", "", Designator{Callsign: "Controller", Version: 1, Method: "status", Index: "a@b"}},
		{"lower-case callsign is kept as written", "netflix.1.factoryReset", "", Designator{Callsign: "netflix", Version: 1, Method: "factoryReset"}},
		{"path: version and method", "1.factoryReset", "Netflix", Designator{Callsign: "Netflix", Version: 1, Method: "factoryReset"}},
		{"path: method only", "factoryReset", "Netflix", Designator{Callsign: "Netflix", Method: "factoryReset"}},
		{"path: method and index", "status@Netflix", "Controller", Designator{Callsign: "Controller", Method: "status", Index: "Netflix"}},
		{"path: full designator naming it", "Netflix.1.factoryReset", "Netflix", Designator{Callsign: "Netflix", Version: 1, Method: "factoryReset"}},
		{"path: callsign and method", "Netflix.factoryReset", "Netflix", Designator{Callsign: "Netflix", Method: "factoryReset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseDesignator(tt.s, tt.path)
			if !ok {
				t.Fatalf("ParseDesignator(%q, %q) = false", tt.s, tt.path)
			}
			if got != tt.want {
				t.Errorf("ParseDesignator(%q, %q) = %+v; want %+v", tt.s, tt.path, got, tt.want)
			}
		})
	}
}

func TestParseDesignatorInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, path string
	}{
		{"empty", "", ""},
		{"empty on a path", "", "Netflix"},
		{"dot", ".", ""},
		{"empty segment", "Netflix..x", ""},
		{"empty method", "Netflix.1.", ""},
		{"leading dot", ".1.factoryReset", ""},
		{"only an index", "@x", ""},
		{"only an index on a path", "@x", "Netflix"},
		{"empty index", "Netflix.1.status@", ""},
		{"version 0", "Netflix.0.x", ""},
		{"version with leading zero", "Netflix.01.x", ""},
		{"negative version", "Netflix.-1.x", ""},
		{"version with plus", "Netflix.+1.x", ""},
		{"version overflow", "Netflix.99999999999999999999999.x", ""},
		{"non-numeric version", "Netflix.v1.x", ""},
		{"four segments", "a.b.c.d", ""},
		{"version without method", "Netflix.1", ""},
		{"bare method without path callsign", "factoryReset", ""},
		{"path: other callsign", "OCP.1.x", "Netflix"},
		{"path: other callsign without version", "OCP.x", "Netflix"},
		{"path: case differs", "netflix.1.factoryReset", "Netflix"},
		{"path: version 0", "0.factoryReset", "Netflix"},
		{"path: four segments", "Netflix.1.a.b", "Netflix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, ok := ParseDesignator(tt.s, tt.path); ok {
				t.Errorf("ParseDesignator(%q, %q) = %+v, true; want false", tt.s, tt.path, got)
			}
		})
	}
}

func TestParseDesignatorCaseSensitive(t *testing.T) {
	t.Parallel()
	upper, ok1 := ParseDesignator("Netflix.1.factoryReset", "")
	lower, ok2 := ParseDesignator("netflix.1.factoryReset", "")
	if !ok1 || !ok2 {
		t.Fatalf("ParseDesignator ok = %v, %v; want both true", ok1, ok2)
	}
	if upper.Callsign == lower.Callsign {
		t.Errorf("callsigns %q and %q compare equal; designators are case-sensitive", upper.Callsign, lower.Callsign)
	}
	if lower.Callsign != "netflix" {
		t.Errorf("Callsign = %q; want %q as written", lower.Callsign, "netflix")
	}
	m1, _ := ParseDesignator("Netflix.1.factoryReset", "")
	m2, _ := ParseDesignator("Netflix.1.factoryreset", "")
	if m1.Method == m2.Method {
		t.Errorf("methods %q and %q compare equal", m1.Method, m2.Method)
	}
}
