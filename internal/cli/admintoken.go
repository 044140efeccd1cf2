package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
)

// adminTokenCreate prints a new admin token for the JSON-RPC plane once;
// only its hash is stored.
func adminTokenCreate(e env, args []string) error {
	fs, db := e.helpFlags("admin-token create", "--name NAME --role ops|admin [--expires 720h]",
		"Creates an admin token for the JSON-RPC plane and prints it once; only its hash is kept.\n"+
			"ops may read and switch plugins; admin may do everything, factory reset included.", args)
	name := fs.String("name", "", "a unique name for the token (who or what holds it)")
	role := fs.String("role", "", "ops or admin")
	expires := fs.Duration("expires", 0, "how long the token lives, e.g. 720h; default never")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := carebridge.ValidateName("--name", *name); err != nil {
		return err
	}
	r, err := carebridge.ParseRole("--role", *role, carebridge.AdminRoles)
	if err != nil {
		return err
	}
	if *expires < 0 {
		return fmt.Errorf("--expires must be positive; got %s", *expires)
	}
	now := time.Now().UTC().Truncate(time.Second)
	t := carebridge.AdminToken{Name: *name, Role: r, CreatedAt: now}
	if *expires > 0 {
		t.ExpiresAt = now.Add(*expires)
	}
	token, err := auth.NewSecret(32)
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		if err := s.Tenancy.CreateAdminToken(e.ctx, t, auth.HashToken(token)); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "admin token %q (%s, expires %s): %s\nIt is not shown again: store it now.\n",
			t.Name, t.Role, whenOrNever(t.ExpiresAt), token)
		return nil
	})
}

// adminTokenList lists the admin tokens, never their secrets.
func adminTokenList(e env, args []string) error {
	fs, db := e.helpFlags("admin-token list", "",
		"Lists the admin tokens: name, role, created, expires and last used; never the secrets.", args)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		tokens, err := s.Tenancy.AdminTokens(e.ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tEXPIRES\tLAST USED")
		for _, t := range tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.Format(time.RFC3339),
				whenOrNever(t.ExpiresAt), whenOrNever(t.LastUsedAt))
		}
		return tw.Flush()
	})
}

// adminTokenRevoke deletes an admin token: every replica refuses it from
// the next call, and closes the WebSockets opened with it.
func adminTokenRevoke(e env, args []string) error {
	fs, db := e.helpFlags("admin-token revoke", "--name NAME",
		"Revokes an admin token: refused at once, and its open WebSockets are closed.", args)
	name := fs.String("name", "", "the token's name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"name", *name}); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		if err := s.Tenancy.RevokeAdminToken(e.ctx, *name); err != nil {
			return err
		}
		announceCredentials(e, s)
		fmt.Fprintf(e.stdout, "admin token %q revoked\n", *name)
		return nil
	})
}

// whenOrNever prints a time, or "never" for the zero time.
func whenOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
