package storetest

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"carebridge"
)

// deviceESNs returns n distinct ESNs with a prefix: p-0000, p-0001, …
func deviceESNs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// wantFailedESNs fails unless a device call's failure list is exactly want, in
// order. A nil and an empty list are the same: nothing failed.
func wantFailedESNs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		if len(got) > 10 || len(want) > 10 {
			t.Fatalf("%s: %d failed (first %q), want %d (first %q)", what, len(got), firstESNs(got), len(want), firstESNs(want))
		}
		t.Fatalf("%s: failed = %q, want %q", what, got, want)
	}
}

func firstESNs(s []string) []string { return s[:min(len(s), 3)] }

// holdsDevices fails unless op holds each ESN: unregistering them as op fails for
// none, and registering them again restores them.
func (tn *tenant) holdsDevices(t *testing.T, operatorID int64, list ...string) {
	t.Helper()
	s, ctx := tn.stores.Netflix, tn.ctx
	wantFailedESNs(t, "unregister by the owner", ok(s.UnregisterDevices(ctx, operatorID, list)).must(t), nil)
	wantFailedESNs(t, "register again by the owner", ok(s.RegisterDevices(ctx, operatorID, list, tn.caller, base)).must(t), nil)
}

func testDevices(t *testing.T, open Open) {
	t.Run("RegisterNew", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		list := []string{"A1", "B2", "C3"}
		wantFailedESNs(t, "register new", ok(s.RegisterDevices(ctx, tn.op.ID, list, tn.caller, base)).must(t), nil)
		// Applied: another operator cannot take them, and op holds them.
		wantFailedESNs(t, "op2 registers op's", ok(s.RegisterDevices(ctx, tn.op2.ID, list, tn.caller, base)).must(t), list)
		tn.holdsDevices(t, tn.op.ID, list...)
	})

	t.Run("ReregisterOwn", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		wantFailedESNs(t, "register", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"A1", "B2"}, tn.caller, base)).must(t), nil)
		// Registering one's own ESN again is a success, alone or with new ones.
		wantFailedESNs(t, "register own again", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"B2", "A1"}, tn.caller, base.Add(1))).must(t), nil)
		wantFailedESNs(t, "register own and new", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"C3", "A1"}, tn.caller, base.Add(2))).must(t), nil)
		wantFailedESNs(t, "op2 registers op's", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"A1", "B2", "C3"}, tn.caller, base)).must(t), []string{"A1", "B2", "C3"})
		// Held once each: one unregister removes them, a second fails.
		wantFailedESNs(t, "unregister", ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"A1", "B2", "C3"})).must(t), nil)
		wantFailedESNs(t, "unregister twice", ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"A1", "B2", "C3"})).must(t), []string{"A1", "B2", "C3"})
	})

	t.Run("HeldByAnotherOperator", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		wantFailedESNs(t, "op2 registers", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"D4", "B2"}, tn.caller, base)).must(t), nil)
		// The taken ones fail in request order; the others are applied.
		failed := ok(s.RegisterDevices(ctx, tn.op.ID, []string{"A1", "B2", "C3", "D4", "E5"}, tn.caller, base)).must(t)
		wantFailedESNs(t, "op registers op2's", failed, []string{"B2", "D4"})
		tn.holdsDevices(t, tn.op.ID, "A1", "C3", "E5")
		tn.holdsDevices(t, tn.op2.ID, "B2", "D4")
		// Only taken ones: all fail, nothing changes.
		wantFailedESNs(t, "all taken", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"D4", "B2"}, tn.caller, base)).must(t), []string{"D4", "B2"})
		tn.holdsDevices(t, tn.op2.ID, "B2", "D4")
	})

	t.Run("Unregister", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		wantFailedESNs(t, "op registers", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"A1", "B2"}, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "op2 registers", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"C3"}, tn.caller, base)).must(t), nil)
		// Another operator's and never-registered ESNs fail, in request
		// order; op's own are removed.
		failed := ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"Z9", "A1", "C3", "B2", "M7"})).must(t)
		wantFailedESNs(t, "unregister mixed", failed, []string{"Z9", "C3", "M7"})
		// op2 keeps its device.
		tn.holdsDevices(t, tn.op2.ID, "C3")
		wantFailedESNs(t, "op registers op2's", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"C3"}, tn.caller, base)).must(t), []string{"C3"})
		// op's were removed: unregistering again fails, and op2 may take them.
		wantFailedESNs(t, "unregister removed", ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"B2", "A1"})).must(t), []string{"B2", "A1"})
		wantFailedESNs(t, "op2 takes removed", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"A1", "B2"}, tn.caller, base)).must(t), nil)
		// Unregistering on an operator with no devices at all.
		wantFailedESNs(t, "unknown operator", ok(s.UnregisterDevices(ctx, 999, []string{"A1"})).must(t), []string{"A1"})
		tn.holdsDevices(t, tn.op2.ID, "A1", "B2", "C3")
	})

	t.Run("FailuresKeepRequestOrder", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		// op2 registers in one order; op asks in another that is neither
		// op2's nor alphabetical.
		wantFailedESNs(t, "op2 registers", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"a", "b", "c", "d", "e"}, tn.caller, base)).must(t), nil)
		req := []string{"d", "x1", "b", "e", "x2", "a", "c"}
		wantFailedESNs(t, "register", ok(s.RegisterDevices(ctx, tn.op.ID, req, tn.caller, base)).must(t), []string{"d", "b", "e", "a", "c"})
		wantFailedESNs(t, "unregister", ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"e", "x2", "c", "q", "a", "x1"})).must(t), []string{"e", "c", "q", "a"})
	})

	t.Run("PunctuationRoundTrips", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		// Characters JSON or SQL escape must come back unchanged.
		odd := []string{`<a&b>`, `q"uote`, `back\slash`, `it's`, `%_*?`, `[1,2]`, `{"x":1}`, `null`, `0`, `1e3`, `~!@#$^()+=|;:,./`}
		wantFailedESNs(t, "register", ok(s.RegisterDevices(ctx, tn.op.ID, odd, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "op2 registers", ok(s.RegisterDevices(ctx, tn.op2.ID, odd, tn.caller, base)).must(t), odd)
		// Case matters: "ABC" and "abc" are two devices.
		wantFailedESNs(t, "case", ok(s.RegisterDevices(ctx, tn.op.ID, []string{"abc"}, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "case", ok(s.RegisterDevices(ctx, tn.op2.ID, []string{"ABC"}, tn.caller, base)).must(t), nil)
		tn.holdsDevices(t, tn.op.ID, odd...)
		tn.holdsDevices(t, tn.op.ID, "abc")
		tn.holdsDevices(t, tn.op2.ID, "ABC")
	})

	t.Run("Thousand", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		list := deviceESNs("ESN", 1000)
		wantFailedESNs(t, "register 1000", ok(s.RegisterDevices(ctx, tn.op.ID, list, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "register the same 1000 again", ok(s.RegisterDevices(ctx, tn.op.ID, list, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "op2 registers op's 1000", ok(s.RegisterDevices(ctx, tn.op2.ID, list, tn.caller, base)).must(t), list)
		// Reversed, to see request order, not storage order.
		rev := slices.Clone(list)
		slices.Reverse(rev)
		wantFailedESNs(t, "op2 registers them reversed", ok(s.RegisterDevices(ctx, tn.op2.ID, rev, tn.caller, base)).must(t), rev)
		wantFailedESNs(t, "unregister 1000", ok(s.UnregisterDevices(ctx, tn.op.ID, rev)).must(t), nil)
		wantFailedESNs(t, "unregister 1000 again", ok(s.UnregisterDevices(ctx, tn.op.ID, list)).must(t), list)
		wantFailedESNs(t, "op2 takes the 1000", ok(s.RegisterDevices(ctx, tn.op2.ID, list, tn.caller, base)).must(t), nil)
		wantFailedESNs(t, "op2 unregisters the 1000", ok(s.UnregisterDevices(ctx, tn.op2.ID, list)).must(t), nil)
	})

	t.Run("ConcurrentRegistersOneWinner", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		list := deviceESNs("RACE", 200)
		ops := []int64{tn.op.ID, tn.op2.ID}
		failed := make([][]string, len(ops))
		errs := make([]error, len(ops))
		var wg sync.WaitGroup
		for i, id := range ops {
			wg.Go(func() { failed[i], errs[i] = s.RegisterDevices(ctx, id, list, tn.caller, base) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Each ESN went to exactly one operator: the one it did not fail for.
		lost := map[string]int{}
		for i := range ops {
			for _, e := range failed[i] {
				lost[e]++
			}
		}
		if len(failed[0])+len(failed[1]) != len(list) || len(lost) != len(list) {
			t.Fatalf("failed %d + %d times for %d distinct ESNs, want each of %d to fail exactly once", len(failed[0]), len(failed[1]), len(lost), len(list))
		}
		for i, id := range ops {
			won := slices.DeleteFunc(slices.Clone(list), func(e string) bool { return slices.Contains(failed[i], e) })
			if len(won) > 0 {
				tn.holdsDevices(t, id, won...)
			}
		}
	})

	t.Run("OperatorByGroup", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		ts, ctx := tn.stores.Tenancy, tn.ctx
		// Another organisation with operators of the same names and code.
		other := ok(ts.CreateOrganisation(ctx, "globex", base)).must(t)
		otherOp := ok(ts.CreateOperator(ctx, carebridge.Operator{OrganisationID: other.ID, Name: "op1", AlternativeCode: "OP1", CreatedAt: base})).must(t)
		globexOnly := ok(ts.CreateOperator(ctx, carebridge.Operator{OrganisationID: other.ID, Name: "gx", AlternativeCode: "GX", CreatedAt: base})).must(t)

		found := []struct {
			name string
			org  int64
			g    carebridge.GroupIdentifier
			want carebridge.Operator
		}{
			{"id", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10)}, tn.op},
			{"id of op2", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op2.ID, 10)}, tn.op2},
			{"name", tn.org.ID, carebridge.GroupIdentifier{Name: "op1"}, tn.op},
			{"name of op2", tn.org.ID, carebridge.GroupIdentifier{Name: "op2"}, tn.op2},
			{"alternative_code", tn.org.ID, carebridge.GroupIdentifier{AlternativeCode: "OP1"}, tn.op},
			{"same name, other organisation", other.ID, carebridge.GroupIdentifier{Name: "op1"}, otherOp},
			{"same code, other organisation", other.ID, carebridge.GroupIdentifier{AlternativeCode: "OP1"}, otherOp},
			{"id, other organisation", other.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(globexOnly.ID, 10)}, globexOnly},
		}
		for _, c := range found {
			got, err := ts.OperatorByGroup(ctx, c.org, c.g)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got.ID != c.want.ID || got.OrganisationID != c.want.OrganisationID || got.Name != c.want.Name || got.AlternativeCode != c.want.AlternativeCode {
				t.Fatalf("%s: got %+v, want %+v", c.name, got, c.want)
			}
		}

		refused := []struct {
			name string
			org  int64
			g    carebridge.GroupIdentifier
			code string
		}{
			{"unknown id", tn.org.ID, carebridge.GroupIdentifier{ID: "999999"}, carebridge.ENOTFOUND},
			{"unknown name", tn.org.ID, carebridge.GroupIdentifier{Name: "nobody"}, carebridge.ENOTFOUND},
			{"unknown alternative_code", tn.org.ID, carebridge.GroupIdentifier{AlternativeCode: "NOPE"}, carebridge.ENOTFOUND},
			{"name is not an alternative_code", tn.org.ID, carebridge.GroupIdentifier{AlternativeCode: "op1"}, carebridge.ENOTFOUND},
			{"alternative_code is not a name", tn.org.ID, carebridge.GroupIdentifier{Name: "OP1"}, carebridge.ENOTFOUND},
			{"name is not an id", tn.org.ID, carebridge.GroupIdentifier{ID: "op1"}, carebridge.ENOTFOUND},
			{"other organisation's id", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(globexOnly.ID, 10)}, carebridge.ENOTFOUND},
			{"other organisation's name", tn.org.ID, carebridge.GroupIdentifier{Name: "gx"}, carebridge.ENOTFOUND},
			{"other organisation's alternative_code", tn.org.ID, carebridge.GroupIdentifier{AlternativeCode: "GX"}, carebridge.ENOTFOUND},
			{"this organisation's id from the other", other.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op2.ID, 10)}, carebridge.ENOTFOUND},
			{"unknown organisation", 999999, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10)}, carebridge.ENOTFOUND},
			{"non-numeric id", tn.org.ID, carebridge.GroupIdentifier{ID: "abc"}, carebridge.ENOTFOUND},
			{"id with a suffix", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10) + "x"}, carebridge.ENOTFOUND},
			{"fractional id", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10) + ".5"}, carebridge.ENOTFOUND},
			{"zero id", tn.org.ID, carebridge.GroupIdentifier{ID: "0"}, carebridge.ENOTFOUND},
			{"negative id", tn.org.ID, carebridge.GroupIdentifier{ID: "-" + strconv.FormatInt(tn.op.ID, 10)}, carebridge.ENOTFOUND},
			{"id with a plus sign", tn.org.ID, carebridge.GroupIdentifier{ID: "+" + strconv.FormatInt(tn.op.ID, 10)}, carebridge.ENOTFOUND},
			{"id with a leading zero", tn.org.ID, carebridge.GroupIdentifier{ID: "0" + strconv.FormatInt(tn.op.ID, 10)}, carebridge.ENOTFOUND},
			{"id beyond int64", tn.org.ID, carebridge.GroupIdentifier{ID: "99999999999999999999999"}, carebridge.ENOTFOUND},
			{"nothing set", tn.org.ID, carebridge.GroupIdentifier{}, carebridge.EMISSING},
			{"id and name", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10), Name: "op1"}, carebridge.EINVALID},
			{"name and alternative_code", tn.org.ID, carebridge.GroupIdentifier{Name: "op1", AlternativeCode: "OP1"}, carebridge.EINVALID},
			{"all three", tn.org.ID, carebridge.GroupIdentifier{ID: strconv.FormatInt(tn.op.ID, 10), Name: "op1", AlternativeCode: "OP1"}, carebridge.EINVALID},
		}
		for _, c := range refused {
			got, err := ts.OperatorByGroup(ctx, c.org, c.g)
			if carebridge.ErrorCode(err) != c.code {
				t.Fatalf("%s: got %+v, error %v; want code %q", c.name, got, err, c.code)
			}
		}
	})

	t.Run("OperatorWithoutAlternativeCode", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		// op2 has no alternative code: asking for "" must not find it, and
		// an empty alternative_code is "nothing set".
		_, err := tn.stores.Tenancy.OperatorByGroup(tn.ctx, tn.org.ID, carebridge.GroupIdentifier{AlternativeCode: ""})
		wantCode(t, err, carebridge.EMISSING)
		got := ok(tn.stores.Tenancy.OperatorByGroup(tn.ctx, tn.org.ID, carebridge.GroupIdentifier{Name: "op2"})).must(t)
		if got.ID != tn.op2.ID || got.AlternativeCode != "" {
			t.Fatalf("op2 = %+v, want id %d and no alternative code", got, tn.op2.ID)
		}
	})
}
