package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
)

// apiKeyCreate prints a new web API key of an api user once; only its
// hash is stored.
func apiKeyCreate(e env, args []string) error {
	fs, db := e.helpFlags("user api-key create", "--org ORG --operator NAME --username USER [--name LABEL]",
		"Creates a web API key for an api user and prints it once; only its hash is kept.\n"+
			"The user logs in with it on POST authentication/web_api_key/token, the key as the\n"+
			"HTTP Basic user name and an empty password. Without --name a label is made up.", args)
	uf := newUserFlags(fs)
	label := fs.String("name", "", "a label for the key, unique among the user's keys")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := uf.need(); err != nil {
		return err
	}
	if *label == "" {
		suffix, err := auth.NewSecret(4)
		if err != nil {
			return err
		}
		*label = "key-" + suffix
	}
	if err := carebridge.ValidateName("--name", *label); err != nil {
		return err
	}
	key, err := auth.NewAPIKey()
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		u, err := uf.find(e, s)
		if err != nil {
			return err
		}
		if !carebridge.AudienceCRM.Admits(u.Role) {
			return fmt.Errorf("user %q of %q is %s: only api users log in with a web API key", u.Username, *uf.org, u.Role)
		}
		k := carebridge.APIKey{UserID: u.ID, Label: *label, CreatedAt: time.Now()}
		if _, err := s.Tenancy.CreateAPIKey(e.ctx, k, auth.HashToken(key)); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "web API key %q of user %q of %q: %s\nIt is not shown again: store it now.\n",
			k.Label, u.Username, *uf.org, key)
		return nil
	})
}

// apiKeyList lists a user's web API keys, never the keys themselves.
func apiKeyList(e env, args []string) error {
	fs, db := e.helpFlags("user api-key list", "--org ORG --operator NAME --username USER",
		"Lists a user's web API keys: label, created and last used; never the keys.", args)
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
		keys, err := s.Tenancy.APIKeys(e.ctx, u.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Label, k.CreatedAt.Format(time.RFC3339), whenOrNever(k.LastUsedAt))
		}
		return tw.Flush()
	})
}

// apiKeyRevoke deletes a user's web API key and ends the sessions opened
// with it.
func apiKeyRevoke(e env, args []string) error {
	fs, db := e.helpFlags("user api-key revoke", "--org ORG --operator NAME --username USER --name LABEL",
		"Revokes a web API key: refused at once, and the sessions opened with it end.", args)
	uf := newUserFlags(fs)
	label := fs.String("name", "", "the key's label")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := uf.need(); err != nil {
		return err
	}
	if err := need([2]string{"name", *label}); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		u, err := uf.find(e, s)
		if err != nil {
			return err
		}
		if err := s.Tenancy.RevokeAPIKey(e.ctx, u.ID, *label, time.Now()); err != nil {
			return err
		}
		announceCredentials(e, s)
		fmt.Fprintf(e.stdout, "web API key %q of user %q of %q revoked; the sessions opened with it have ended (a server drops a CRM.COM token it trusts within a second)\n",
			*label, u.Username, *uf.org)
		return nil
	})
}
