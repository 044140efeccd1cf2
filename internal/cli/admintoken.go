package cli

import (
	"fmt"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
)

// adminTokenCreate prints a new admin token for the JSON-RPC plane once;
// only its hash is stored.
func adminTokenCreate(e env, args []string) error {
	fs, db := e.helpFlags("admin-token create", "--name NAME",
		"Creates an admin token for the JSON-RPC plane and prints it once; only its hash is kept.", args)
	name := fs.String("name", "", "a unique name for the token (who or what holds it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := carebridge.ValidateName("--name", *name); err != nil {
		return err
	}
	token, err := auth.NewSecret(32)
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		if err := s.Tenancy.CreateAdminToken(e.ctx, *name, auth.HashToken(token), time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "admin token %q: %s\nIt is not shown again: store it now.\n", *name, token)
		return nil
	})
}
