package jsonrpc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeeds are also in testdata/fuzz/FuzzDecode, one file each.
var fuzzSeeds = []string{
	docRequest000,
	docRequest001,
	strings.Replace(docRequest000, "<callsign>", "Netflix", 1),
	`{"jsonrpc":"2.0","method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":null,"method":"Netflix.1.factoryReset"}`,
	`[{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"},{"jsonrpc":"2.0","method":"Controller.1.status"}]`,
	`[]`,
	`{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"`,
	`{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"} x`,
	`{"jsonrpc":"2.0","id":4294967295,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":0,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":4294967296,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":1e400,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":-1,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":-0,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":1.5,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":"42","method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":true,"method":"Netflix.1.factoryReset"}`,
	`{"id":42,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":2.0,"id":42,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"1.0","id":42,"method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":7}`,
	`{"jsonrpc":"2.0","id":7,"method":42}`,
	`{"jsonrpc":"2.0","id":7,"method":""}`,
	`{"jsonrpc":"2.0","id":3,"method":"Controller.1.activate","params":{"callsign":"Netflix","opts":{"a":[1,{"b":[null,true,{"c":"d"}]}]}}}`,
	`{"jsonrpc":"2.0","id":3,"method":"Netflix.1.exists","params":["factoryReset"]}`,
	`{"jsonrpc":"2.0","id":3,"method":"Netflix.1.exists","params":null}`,
	`{"jsonrpc":"2.0","id":5,"method":"Controller.1.register","params":{"event":"statechange","id":"client.Controller.events"}}`,
	`{"jsonrpc":"2.0","id":6,"method":"Controller.1.status@Netflix"}`,
	"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"Netflix.1.fäctoryReset\",\"params\":{\"name\":\"Café ☕ \\u00e9 \\ud83d\\ude00 \u2028\"}}",
	`{"jsonrpc":"2.0","id":8,"method":"\u004eetflix.1.factoryReset"}`,
	"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"Netflix.1.\xff\xfe\"}",
	"\u00a0{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Netflix.1.factoryReset\"}\u00a0",
	`{"JSONRPC":"2.0","ID":1,"Method":"Netflix.1.factoryReset"}`,
	`{"jsonrpc":"2.0","id":1,"id":2,"method":"a.b","method":"c.d"}`,
	`{"jsonrpc":"2.0","id":10,"method":"Controller.1.register","params":{"event":"a","event":"b","id":"\ud800"}}`,
	`{"jsonrpc":"2.0","id":11,"method":"Netflix.1.exists","params":["\udc00"]}`,
	``,
	" \t\r\n",
	`null`,
	`{}`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in := bytes.Clone(body)
		req, err := Decode(body)
		if !bytes.Equal(in, body) {
			t.Fatalf("Decode modified its input: %q → %q", in, body)
		}
		if err != nil {
			switch err.Code {
			case CodeParseError:
				if req != nil {
					t.Errorf("parse error with a request %+v", req)
				}
				if json.Valid(body) {
					t.Errorf("Decode(%q) = -32700 for valid JSON", body)
				}
			case CodeInvalidRequest:
				if want := NewError(err.Code).Message; err.Message != want {
					t.Errorf("message = %q; want %q", err.Message, want)
				}
			case CodeInvalidParams:
				// Only the params can be invalid: the rest was read.
				if req == nil || req.Method == "" || req.Params == nil || !strings.Contains(err.Message, " ") {
					t.Errorf("Decode(%q) = %+v, -32602 %q; want the request read and the member named", body, req, err.Message)
				}
			default:
				t.Fatalf("Decode(%q) error code %d; want -32700, -32600 or -32602", body, err.Code)
			}
			if err.Code == CodeParseError {
				if want := NewError(err.Code).Message; err.Message != want {
					t.Errorf("message = %q; want %q", err.Message, want)
				}
			}
			// The error answer is JSON and carries the id when one was read.
			var id *uint32
			if req != nil {
				id = req.ID
			}
			checkAnswer(t, MarshalResponse(id, nil, err), id)
			return
		}
		if req == nil {
			t.Fatalf("Decode(%q) = nil, nil", body)
		}
		if req.Method == "" {
			t.Errorf("Decode(%q) accepted an empty method", body)
		}
		if req.Params != nil {
			if !json.Valid(req.Params) {
				t.Errorf("Params %q are not JSON", req.Params)
			}
			if string(req.Params) == "null" {
				t.Errorf("Params = null; want nil")
			}
		}
		checkAnswer(t, MarshalResponse(req.ID, nil, nil), req.ID)

		// What was read survives being written out and read again.
		type wire struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      *uint32         `json:"id,omitempty"`
			Method  string          `json:"method"`
			Params  json.RawMessage `json:"params,omitempty"`
		}
		again, merr := json.Marshal(wire{"2.0", req.ID, req.Method, req.Params})
		if merr != nil {
			t.Fatalf("re-encoding %+v: %v", req, merr)
		}
		req2, err2 := Decode(again)
		if err2 != nil {
			t.Fatalf("Decode(%s) of a re-encoded request: %v", again, err2)
		}
		if req2.Method != req.Method || (req2.ID == nil) != (req.ID == nil) || (req.ID != nil && *req2.ID != *req.ID) {
			t.Errorf("round trip: %+v → %+v", req, req2)
		}
	})
}

// checkAnswer verifies an answer is a JSON object with "jsonrpc":"2.0" and
// the expected id (null when id is nil).
func checkAnswer(t *testing.T, answer []byte, id *uint32) {
	t.Helper()
	if !json.Valid(answer) {
		t.Fatalf("answer %q is not JSON", answer)
	}
	var m struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(answer, &m); err != nil {
		t.Fatalf("answer %s: %v", answer, err)
	}
	if m.JSONRPC != "2.0" {
		t.Errorf("answer %s: jsonrpc = %q", answer, m.JSONRPC)
	}
	var wantID []byte
	if id == nil {
		wantID = []byte("null")
	} else {
		wantID, _ = json.Marshal(*id)
	}
	if !bytes.Equal(m.ID, wantID) {
		t.Errorf("answer %s: id = %s; want %s", answer, m.ID, wantID)
	}
}

// TestFuzzSeedsInCorpus keeps the seed list and the corpus files in step:
// every file is a `go test fuzz v1` []byte entry, and the two hold the same
// inputs.
func TestFuzzSeedsInCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lit, ok := strings.CutPrefix(string(b), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")\n")
		if !ok || !ok2 {
			t.Errorf("%s: not a go test fuzz v1 []byte entry", e.Name())
			continue
		}
		v, err := strconv.Unquote(lit)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		files[v] = e.Name()
	}
	seeds := map[string]bool{}
	for _, s := range fuzzSeeds {
		seeds[s] = true
		if _, ok := files[s]; !ok {
			t.Errorf("seed %q has no corpus file", s)
		}
	}
	for v, name := range files {
		if !seeds[v] {
			t.Errorf("corpus file %s (%q) is not in fuzzSeeds", name, v)
		}
	}
	for _, want := range []string{docRequest000, docRequest001, "", "null"} {
		if !seeds[want] {
			t.Errorf("seed %q missing", want)
		}
	}
}
