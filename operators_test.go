package carebridge_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"carebridge"
)

// operators is an OperatorLookup over a list, recording which key it was
// asked by.
type operators struct {
	list  []carebridge.Operator
	asked string
	fail  error
}

func (o *operators) find(by string, match func(carebridge.Operator) bool) (carebridge.Operator, error) {
	o.asked = by
	if o.fail != nil {
		return carebridge.Operator{}, o.fail
	}
	for _, op := range o.list {
		if match(op) {
			return op, nil
		}
	}
	return carebridge.Operator{}, carebridge.Errorf(carebridge.ENOTFOUND, "Operator does not exist.")
}

func (o *operators) OperatorByID(ctx context.Context, org, id int64) (carebridge.Operator, error) {
	return o.find("id", func(op carebridge.Operator) bool { return op.OrganisationID == org && op.ID == id })
}

func (o *operators) OperatorByName(ctx context.Context, org int64, name string) (carebridge.Operator, error) {
	return o.find("name", func(op carebridge.Operator) bool { return op.OrganisationID == org && op.Name == name })
}

func (o *operators) OperatorByAlternativeCode(ctx context.Context, org int64, code string) (carebridge.Operator, error) {
	return o.find("code", func(op carebridge.Operator) bool { return op.OrganisationID == org && op.AlternativeCode == code })
}

func TestResolveGroup(t *testing.T) {
	t.Parallel()
	ops := &operators{list: []carebridge.Operator{
		{ID: 7, OrganisationID: 1, Name: "op1", AlternativeCode: "OP1"},
		{ID: 8, OrganisationID: 2, Name: "other", AlternativeCode: "OTH"},
	}}
	ctx := context.Background()
	for _, c := range []struct {
		g     carebridge.GroupIdentifier
		asked string // the lookup used; "" for none
		want  int64  // the operator found
		code  string // or the error's code
	}{
		{carebridge.GroupIdentifier{ID: "7"}, "id", 7, ""},
		{carebridge.GroupIdentifier{Name: "op1"}, "name", 7, ""},
		{carebridge.GroupIdentifier{AlternativeCode: "OP1"}, "code", 7, ""},
		{carebridge.GroupIdentifier{ID: "8"}, "id", 0, carebridge.ENOTFOUND}, // another organisation's
		{carebridge.GroupIdentifier{ID: "007"}, "", 0, carebridge.ENOTFOUND},
		{carebridge.GroupIdentifier{ID: "-7"}, "", 0, carebridge.ENOTFOUND},
		{carebridge.GroupIdentifier{ID: "x"}, "", 0, carebridge.ENOTFOUND},
		{carebridge.GroupIdentifier{}, "", 0, carebridge.EMISSING},
		{carebridge.GroupIdentifier{ID: "7", Name: "op1"}, "", 0, carebridge.EINVALID},
	} {
		ops.asked = ""
		op, err := carebridge.ResolveGroup(ctx, ops, 1, c.g)
		if carebridge.ErrorCode(err) != c.code || op.ID != c.want || ops.asked != c.asked {
			t.Errorf("ResolveGroup(%+v) = %d, %v by %q; want %d, %q by %q", c.g, op.ID, err, ops.asked, c.want, c.code, c.asked)
		}
		if c.code == carebridge.ENOTFOUND && strings.Contains(err.Error(), "Operator does not exist") {
			t.Errorf("ResolveGroup(%+v) answers with the lookup's message", c.g)
		}
	}
	// A failure other than not found is the lookup's own.
	ops.fail = errors.New("disk on fire")
	if _, err := carebridge.ResolveGroup(ctx, ops, 1, carebridge.GroupIdentifier{Name: "op1"}); !errors.Is(err, ops.fail) {
		t.Fatalf("ResolveGroup with a failing lookup = %v", err)
	}
}

func TestNewPartnerSecret(t *testing.T) {
	t.Parallel()
	a, err := carebridge.NewPartnerSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := carebridge.NewPartnerSecret()
	if len(a) != 64 || a == b {
		t.Fatalf("secrets %q and %q: want two different 64-digit hex strings", a, b)
	}
}
