package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/partnerapi"
	"carebridge/internal/server"
)

// operatorSecret prints an operator's partner secret, or replaces it.
func operatorSecret(e env, args []string) error {
	fs, db := e.helpFlags("operator secret", "--org ORG --operator NAME [--rotate]", "Prints the operator's partner secret, or replaces it with --rotate.", args)
	org := fs.String("org", "", "organisation name")
	operator := fs.String("operator", "", "operator (group) name")
	rotate := fs.Bool("rotate", false, "replace the secret with a new one (the old one stops working at once)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"org", *org}, [2]string{"operator", *operator}); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := findOperator(e, s, *org, *operator)
		if err != nil {
			return err
		}
		if *rotate {
			if _, err := s.Tenancy.RotatePartnerSecret(e.ctx, op.ID); err != nil {
				return err
			}
		}
		secret, err := s.Tenancy.PartnerSecret(e.ctx, op.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "operator %q (group id %d) partner secret: %s\n", op.Name, op.ID, secret)
		return nil
	})
}

// chargesIngest stores a charge report from a file, by the endpoint's rules
// but without a signature (the database is the trust boundary here).
func chargesIngest(e env, args []string) error {
	fs, db := e.helpFlags("charges ingest", "FILE --org ORG --operator NAME", "Stores a charge report from a JSON file by the partner endpoint's rules.", args)
	org := fs.String("org", "", "organisation name")
	operator := fs.String("operator", "", "operator (group) name")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if err := need([2]string{"org", *org}, [2]string{"operator", *operator}, [2]string{"FILE", file}); err != nil {
		return err
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := checkReportShape(file, body); err != nil {
		return err
	}
	charges, itemErrs, err := partnerapi.DecodeReport(body)
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := findOperator(e, s, *org, *operator)
		if err != nil {
			return err
		}
		var valid []netflix.NewCharge
		for i, c := range charges {
			if itemErrs[i] == nil {
				valid = append(valid, c)
			}
		}
		svc := &netflix.Service{Store: s.Netflix, Now: time.Now}
		stored, err := svc.Ingest(e.ctx, op.ID, valid, "")
		if err != nil {
			return err
		}
		created, duplicate, rejected := 0, 0, 0
		j := 0
		for i, c := range charges {
			if itemErrs[i] != nil {
				rejected++
				fmt.Fprintf(e.stdout, "charge %d (%s): rejected: %s\n", i+1, c.PartnerChargeID, carebridge.ErrorMessage(itemErrs[i]))
				continue
			}
			r := stored[j]
			j++
			switch {
			case r.Err != nil:
				rejected++
				fmt.Fprintf(e.stdout, "charge %d (%s): rejected: %s\n", i+1, c.PartnerChargeID, carebridge.ErrorMessage(r.Err))
			case r.Duplicate:
				duplicate++
				fmt.Fprintf(e.stdout, "charge %d (%s): duplicate of %s\n", i+1, c.PartnerChargeID, netflix.ChargeNumber(r.ChargeID))
			default:
				created++
				fmt.Fprintf(e.stdout, "charge %d (%s): created %s\n", i+1, c.PartnerChargeID, netflix.ChargeNumber(r.ChargeID))
			}
		}
		fmt.Fprintf(e.stdout, "%d created, %d duplicate, %d rejected\n", created, duplicate, rejected)
		if rejected == len(charges) {
			return fmt.Errorf("all %d charges were rejected; nothing was stored", rejected)
		}
		if rejected > 0 {
			return fmt.Errorf("%d of %d charges were rejected (the others were stored)", rejected, len(charges))
		}
		return nil
	})
}

// positional splits off a leading argument that is not a flag.
// parseWithFile parses a command's flags and takes its one FILE argument,
// given before the flags or after them.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	file, rest := positional(args)
	if file == "" && len(rest) > 0 {
		// FILE after the flags: parse them, then take the one argument left.
		if err := fs.Parse(rest); err != nil {
			return "", errUsage
		}
		file, rest = positional(fs.Args())
	}
	return file, parse(fs, rest)
}

func positional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func findOperator(e env, s *server.Stores, org, operator string) (carebridge.Operator, error) {
	o, err := s.Tenancy.OrganisationByName(e.ctx, org)
	if err != nil {
		return carebridge.Operator{}, err
	}
	return s.Tenancy.OperatorByName(e.ctx, o.ID, operator)
}
