package cli

import (
	"flag"
	"fmt"
	"time"

	"carebridge"
	"carebridge/internal/events"
	"carebridge/internal/server"
)

// findUser finds a user of an operator, by organisation, operator and
// username: naming the operator guards against changing the wrong user.
func findUser(e env, s *server.Stores, org, operator, username string) (carebridge.User, error) {
	op, err := findOperator(e, s, org, operator)
	if err != nil {
		return carebridge.User{}, err
	}
	u, err := s.Tenancy.UserByName(e.ctx, op.OrganisationID, username)
	if err != nil {
		return u, err
	}
	if u.OperatorID != op.ID {
		return u, fmt.Errorf("user %q of %q is not a user of operator %q", username, org, operator)
	}
	return u, nil
}

// userFlags are the flags that name a user: organisation, operator and
// username, all three required.
type userFlags struct{ org, operator, username *string }

func newUserFlags(fs *flag.FlagSet) userFlags {
	return userFlags{
		org:      fs.String("org", "", "organisation name"),
		operator: fs.String("operator", "", "operator (group) name"),
		username: fs.String("username", "", "user name"),
	}
}

func (u userFlags) need() error {
	return need([2]string{"org", *u.org}, [2]string{"operator", *u.operator}, [2]string{"username", *u.username})
}

// find finds the user the flags name.
func (u userFlags) find(e env, s *server.Stores) (carebridge.User, error) {
	return findUser(e, s, *u.org, *u.operator, *u.username)
}

// userRole gives a user another role.
func userRole(e env, args []string) error {
	fs, db := e.helpFlags("user role", "--org ORG --operator NAME --username USER --role api|care|supervisor",
		"Gives a user another role. The user's sessions the new role does not admit end at once, for good.", args)
	uf := newUserFlags(fs)
	role := fs.String("role", "", "api, care or supervisor")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := uf.need(); err != nil {
		return err
	}
	r, err := carebridge.ParseRole("--role", *role, carebridge.UserRoles)
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		u, err := uf.find(e, s)
		if err != nil {
			return err
		}
		if err := s.Tenancy.SetUserRole(e.ctx, u.ID, r, time.Now(), carebridge.AudiencesRefusing(r)); err != nil {
			return err
		}
		announceCredentials(e, s)
		fmt.Fprintf(e.stdout, "user %q of %q is now %s (was %s)\n", u.Username, *uf.org, r, u.Role)
		return nil
	})
}

// userDisable disables a user and ends their sessions.
func userDisable(e env, args []string) error {
	fs, db := e.helpFlags("user disable", "--org ORG --operator NAME --username USER",
		"Disables a user: no more logins, and every session of theirs ends at once.", args)
	uf := newUserFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := uf.need(); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		u, err := uf.find(e, s)
		if err != nil {
			return err
		}
		if err := s.Tenancy.DisableUser(e.ctx, u.ID, time.Now()); err != nil {
			if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
				return fmt.Errorf("user %q of %q is disabled already", u.Username, *uf.org)
			}
			return err
		}
		announceCredentials(e, s)
		fmt.Fprintf(e.stdout, "user %q of %q disabled; their sessions have ended (a server drops a CRM.COM token it trusts within a second)\n", u.Username, *uf.org)
		return nil
	})
}

// announceCredentials tells the running replicas, over the engine's bus
// when it has one, that a credential has ended, so that they refuse it and
// close its WebSockets now. Without a bus (SQLite) a server notices the
// change by itself within a second; a lost announcement is caught the
// same way.
func announceCredentials(e env, s *server.Stores) {
	if s.Bus == nil {
		return
	}
	if err := s.Bus.Publish(e.ctx, events.Message{Kind: events.CredentialsChanged}); err != nil {
		fmt.Fprintf(e.stderr, "carebridge: the change is saved, but the running servers could not be told at once (%v); they notice it within a second\n", err)
	}
}
