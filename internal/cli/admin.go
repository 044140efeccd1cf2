package cli

import (
	"bufio"
	"flag"
	"fmt"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
)

func orgCreate(e env, args []string) error {
	fs, db := e.helpFlags("org create", "--name ORG", "Creates an organisation (a tenant).", args)
	name := fs.String("name", "", "organisation name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := carebridge.ValidateName("--name", *name); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		o, err := s.Tenancy.CreateOrganisation(e.ctx, *name, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "organisation %q created (id %d)\n", o.Name, o.ID)
		return nil
	})
}

func operatorCreate(e env, args []string) error {
	fs, db := e.helpFlags("operator create", "--org ORG --name NAME [--alternative-code CODE]", "Creates an operator (a CRM.COM group) with a fresh partner secret.", args)
	org := fs.String("org", "", "organisation name")
	name := fs.String("name", "", "operator (group) name")
	alt := fs.String("alternative-code", "", "operator (group) alternative code")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"org", *org}); err != nil {
		return err
	}
	if err := carebridge.ValidateName("--name", *name); err != nil {
		return err
	}
	if *alt != "" {
		if err := carebridge.ValidateName("--alternative-code", *alt); err != nil {
			return err
		}
	}
	return withStores(e, *db, func(s *server.Stores) error {
		o, err := s.Tenancy.OrganisationByName(e.ctx, *org)
		if err != nil {
			return err
		}
		op, err := s.Tenancy.CreateOperator(e.ctx, carebridge.Operator{
			OrganisationID: o.ID, Name: *name, AlternativeCode: *alt, CreatedAt: time.Now(),
		})
		if carebridge.ErrorCode(err) == carebridge.ECONFLICT {
			// Say which of the two is taken, rather than quoting an
			// alternative code that was never given.
			if _, nerr := s.Tenancy.OperatorByName(e.ctx, o.ID, *name); nerr == nil || *alt == "" {
				return fmt.Errorf("organisation %q already has an operator named %q", o.Name, *name)
			}
			return fmt.Errorf("organisation %q already has an operator with alternative code %q", o.Name, *alt)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "operator %q created in %q with group id %d\n", op.Name, o.Name, op.ID)
		return nil
	})
}

func userCreate(e env, args []string) error {
	fs, db := e.helpFlags("user create", "--org ORG --operator NAME --username USER [--role api|care|supervisor]",
		"Creates a user: api (the billing system, on the CRM.COM face; the default), care or supervisor (care agents,\n"+
			"on the care plane). The password is read from standard input (one line, at least 8 characters).", args)
	org := fs.String("org", "", "organisation name")
	operator := fs.String("operator", "", "operator (group) name")
	username := fs.String("username", "", "user name")
	roleName := fs.String("role", string(carebridge.RoleAPI), "api, care or supervisor")
	if err := parse(fs, args); err != nil {
		return err
	}
	role, err := carebridge.ParseRole("--role", *roleName, carebridge.UserRoles)
	if err != nil {
		return err
	}
	if err := need([2]string{"org", *org}, [2]string{"operator", *operator}); err != nil {
		return err
	}
	if err := carebridge.ValidateName("--username", *username); err != nil {
		return err
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := findOperator(e, s, *org, *operator)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(e.ctx, password)
		if err != nil {
			return err
		}
		u, err := s.Tenancy.CreateUser(e.ctx, carebridge.User{
			OrganisationID: op.OrganisationID, OperatorID: op.ID, Username: *username, PasswordHash: hash, Role: role, CreatedAt: time.Now(),
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %q (%s) created for operator %q of %q\n", u.Username, u.Role, op.Name, *org)
		return nil
	})
}

// readPassword reads one line from standard input.
func readPassword(e env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("give the password on standard input, one line (for example: printf '%%s\\n' \"$PASSWORD\" | carebridge user create …)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func promotionCreate(e env, args []string) error {
	fs, db := e.helpFlags("promotion create", "--org ORG --operator NAME --code C --name N [flags]", "Creates a Netflix promotion for an operator.", args)
	org := fs.String("org", "", "organisation name")
	operator := fs.String("operator", "", "operator (group) name")
	code := fs.String("code", "", "promotion code")
	name := fs.String("name", "", "promotion name")
	description := fs.String("description", "", "promotion description")
	from := fs.String("effective-from", "", "when it takes effect (2006-01-02, 2006-01-02T15:04:05 UTC or RFC 3339); default now")
	expires := fs.String("expires-on", "", "when it expires (same forms); default never")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"org", *org}, [2]string{"operator", *operator}, [2]string{"code", *code}, [2]string{"name", *name}); err != nil {
		return err
	}
	p := netflix.Promotion{Code: *code, Name: *name, Description: *description, EffectiveFrom: time.Now().UTC().Truncate(time.Second)}
	var err error
	if *from != "" {
		if p.EffectiveFrom, err = parseCLITime("--effective-from", *from); err != nil {
			return err
		}
	}
	if *expires != "" {
		if p.ExpiresOn, err = parseCLITime("--expires-on", *expires); err != nil {
			return err
		}
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := findOperator(e, s, *org, *operator)
		if err != nil {
			return err
		}
		p.OperatorID = op.ID
		svc := &netflix.Service{Store: s.Netflix, Now: time.Now}
		if p, err = svc.CreatePromotion(e.ctx, p); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "promotion %q (%s) created for operator %q\n", p.Code, p.Name, op.Name)
		return nil
	})
}

func parseCLITime(flag, s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not a date such as 2017-01-01, 2017-01-01T00:00:00 or RFC 3339", flag, s)
}

// withStores opens the database, runs fn, and closes it.
func withStores(e env, db string, fn func(*server.Stores) error) error {
	s, err := server.OpenStores(e.ctx, db)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func operatorUpdate(e env, args []string) error {
	fs, db := e.helpFlags("operator update", "--org ORG --name NAME --charge-decision auto|operator [--decision-deadline 72h]",
		"Sets who decides the operator's PENDING charges: auto (the charge processor, by the subscription's state, as\n"+
			"soon as they arrive) or operator (the operator, with charges/accept and charges/decline; the processor settles\n"+
			"those still PENDING once the decision deadline has passed since they arrived, from 1m to 720h; the operator's\n"+
			"deadline is kept when not given, 72h until first set).", args)
	org := fs.String("org", "", "organisation name")
	name := fs.String("name", "", "operator (group) name")
	decision := fs.String("charge-decision", "", "who decides PENDING charges: auto or operator")
	deadline := fs.Duration("decision-deadline", 0, "how long the operator has to decide a charge (1m to 720h; default: unchanged)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"org", *org}, [2]string{"name", *name}, [2]string{"charge-decision", *decision}); err != nil {
		return err
	}
	d := netflix.ChargeDecision(*decision)
	if d != netflix.DecisionAuto && d != netflix.DecisionOperator {
		return fmt.Errorf("--charge-decision is %q; it must be auto or operator", *decision)
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "decision-deadline" })
	if given && (*deadline < netflix.MinDecisionDeadline || *deadline > netflix.MaxDecisionDeadline || *deadline%time.Second != 0) {
		return fmt.Errorf("--decision-deadline is %s; it must be whole seconds from 1m to 720h", *deadline)
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := findOperator(e, s, *org, *name)
		if err != nil {
			return err
		}
		if !given {
			if _, *deadline, err = s.Tenancy.ChargeDecision(e.ctx, op.ID); err != nil {
				return err
			}
		}
		if err := s.Tenancy.SetChargeDecision(e.ctx, op.ID, d, *deadline); err != nil {
			return err
		}
		who := "the charge processor (auto)"
		if d == netflix.DecisionOperator {
			who = "the operator, settled by the processor after " + shortDuration(*deadline)
		}
		fmt.Fprintf(e.stdout, "operator %q of %q: PENDING charges decided by %s; decision deadline %s\n", op.Name, *org, who, shortDuration(*deadline))
		return nil
	})
}

// shortDuration writes 48h rather than 48h0m0s, 1m rather than 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
