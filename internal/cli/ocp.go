package cli

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/server"
)

// ocpService is the OCP domain service on a command's stores.
func ocpService(s *server.Stores) *ocp.Service {
	return &ocp.Service{Store: s.OCP, Now: time.Now, TokenLifetime: time.Hour}
}

const customerCreateHelp = `Inserts a new customer profile. An --id that exists already is refused:
change that customer with carebridge ocp customer update.
--ocpservices is a ';'-separated list of OCP service names.
`

const customerUpdateHelp = `Changes an existing customer profile: the flags given replace those fields,
the others keep their values. An --id that does not exist is refused (create
it with carebridge ocp customer create).
--ocpservices is a ';'-separated list of OCP service names ("" for none).
`

// customerFlags are the flags of ocp customer create and update.
type customerFlags struct {
	fs                            *flag.FlagSet
	id, nsid, name, email, level  *string
	services, subset              *string
	canViewIP, canAccessIP, isRMS *bool
}

func newCustomerFlags(fs *flag.FlagSet) *customerFlags {
	return &customerFlags{
		fs:          fs,
		id:          fs.String("id", "", "customer id (a positive integer)"),
		nsid:        fs.String("nsid", "", "the billing system's id of the customer (an integer, 0 or more)"),
		name:        fs.String("name", "", "customer name"),
		email:       fs.String("email", "", "contact email address"),
		level:       fs.String("enrollment-level", string(ocp.None), "enrollment level: None, Base or Premium"),
		canViewIP:   fs.Bool("canviewip", false, "the customer may view IP addresses"),
		canAccessIP: fs.Bool("canaccessip", false, "the customer may access IP addresses"),
		isRMS:       fs.Bool("isrms", false, "the customer is an RMS customer"),
		services:    fs.String("ocpservices", "", "OCP services, separated by ';' (for example a;b)"),
		subset:      fs.String("device-subset-start-time", "0", "device subset start time (an integer, 0 or more)"),
	}
}

// customerFields are the flags of customerFlags that set a profile field:
// all but --id.
var customerFields = []string{"nsid", "name", "email", "enrollment-level", "canviewip", "canaccessip", "isrms",
	"ocpservices", "device-subset-start-time"}

// anyField tells whether a field flag was given, whatever other flags the
// command has, so that an update of nothing is refused.
func (c *customerFlags) anyField() bool {
	return slices.ContainsFunc(customerFields, func(name string) bool { return flagSet(c.fs, name) })
}

// apply sets the fields of p from the flags: all of them, or only those
// given on the command line when given is true (an update).
func (c *customerFlags) apply(p *ocp.Profile, given bool) error {
	set := func(name string) bool { return !given || flagSet(c.fs, name) }
	var err error
	if set("nsid") {
		if p.NSID, err = ocp.ParseInteger("--nsid", *c.nsid); err != nil {
			return err
		}
	}
	if set("name") {
		p.Name = *c.name
	}
	if set("email") {
		p.Email = *c.email
	}
	if set("enrollment-level") {
		p.EnrollmentLevel = ocp.Level(*c.level)
	}
	if set("canviewip") {
		p.CanViewIP = *c.canViewIP
	}
	if set("canaccessip") {
		p.CanAccessIP = *c.canAccessIP
	}
	if set("isrms") {
		p.IsRMS = *c.isRMS
	}
	if set("ocpservices") {
		p.OCPServices = ocp.SplitServices(*c.services)
	}
	if set("device-subset-start-time") {
		if p.DeviceSubsetStartTime, err = ocp.ParseInteger("--device-subset-start-time", *c.subset); err != nil {
			return err
		}
	}
	return p.Validate()
}

// ocpCustomerCreate inserts one new customer profile.
func ocpCustomerCreate(e env, args []string) error {
	fs, db := e.helpFlags("ocp customer create", "--id N --nsid N --name NAME [flags]", customerCreateHelp, args)
	c := newCustomerFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"id", *c.id}, [2]string{"nsid", *c.nsid}, [2]string{"name", *c.name}); err != nil {
		return err
	}
	var p ocp.Profile
	var err error
	if p.ID, err = parsePositive("--id", *c.id); err != nil {
		return err
	}
	if err := c.apply(&p, false); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		err := ocpService(s).CreateCustomer(e.ctx, p)
		if carebridge.ErrorCode(err) == carebridge.ECONFLICT {
			return fmt.Errorf("customer %d already exists; nothing was changed. To change it: carebridge ocp customer update --id %d [flags]", p.ID, p.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "customer %d %q created (nsid %d, enrollment level %s)\n", p.ID, p.Name, p.NSID, p.EnrollmentLevel)
		return nil
	})
}

// ocpCustomerUpdate changes the fields given of an existing customer.
func ocpCustomerUpdate(e env, args []string) error {
	fs, db := e.helpFlags("ocp customer update", "--id N [flags]", customerUpdateHelp, args)
	c := newCustomerFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"id", *c.id}); err != nil {
		return err
	}
	id, err := parsePositive("--id", *c.id)
	if err != nil {
		return err
	}
	if !c.anyField() {
		return fmt.Errorf("give at least one field to change, such as --name or --enrollment-level")
	}
	// Check the flags before the database is opened.
	if err := c.apply(&ocp.Profile{Customer: ocp.Customer{ID: id, Name: "x"}}, true); err != nil {
		return err
	}
	notFound := func() error {
		return fmt.Errorf("customer %d does not exist; nothing was changed. To add it: carebridge ocp customer create --id %d --nsid N --name NAME [flags]", id, id)
	}
	return withStores(e, *db, func(s *server.Stores) error {
		p, err := s.OCP.Profile(e.ctx, id)
		if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
			return notFound()
		}
		if err != nil {
			return err
		}
		if err := c.apply(&p, true); err != nil {
			return err
		}
		err = ocpService(s).UpdateCustomer(e.ctx, p)
		if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
			return notFound()
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "customer %d %q updated (nsid %d, enrollment level %s)\n", p.ID, p.Name, p.NSID, p.EnrollmentLevel)
		return nil
	})
}

// ocpAppCreate registers an application and prints its credentials once.
func ocpAppCreate(e env, args []string) error {
	fs, db := e.helpFlags("ocp app create", "--id N --name NAME [--customers LIST]",
		"Registers an OCP application (API consumer) with client id app-N and a new\nclient secret, printed once.\n", args)
	id := fs.String("id", "", "application id (a positive integer)")
	name := fs.String("name", "", "application name")
	customers := fs.String("customers", "", "customer ids the application may read, comma-separated (for example 1649,1650)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"id", *id}, [2]string{"name", *name}); err != nil {
		return err
	}
	appID, err := parsePositive("--id", *id)
	if err != nil {
		return err
	}
	if err := carebridge.ValidateName("--name", *name); err != nil {
		return err
	}
	var ids []int64
	if flagSet(fs, "customers") {
		if ids, err = parseIDList("--customers", *customers); err != nil {
			return err
		}
	}
	return withStores(e, *db, func(s *server.Stores) error {
		app, secret, err := ocpService(s).NewApplication(e.ctx, appID, *name, "", ids)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "application %d %q created, permitted %d customers\n", app.AppID, app.Name, len(ids))
		fmt.Fprintf(e.stdout, "client id:     %s\n", app.ClientID)
		fmt.Fprintf(e.stdout, "client secret: %s\n", secret)
		fmt.Fprintln(e.stdout, "The client secret is not shown again: store it now.")
		return nil
	})
}

// ocpAppGrant lets an application read more customers.
func ocpAppGrant(e env, args []string) error {
	return ocpAppPermissions(e, args, "grant")
}

// ocpAppRevoke takes customers away from an application.
func ocpAppRevoke(e env, args []string) error {
	return ocpAppPermissions(e, args, "revoke")
}

func ocpAppPermissions(e env, args []string, verb string) error {
	name := "ocp app " + verb
	help := "Lets the application read these customers (they need not exist yet).\n"
	if verb == "revoke" {
		help = "Takes these customers away from the application. An id it was never granted\n(a typo, most likely) refuses the command, and nothing is revoked.\n"
	}
	fs, db := e.helpFlags(name, "--id N --customers LIST", help, args)
	id := fs.String("id", "", "application id")
	customers := fs.String("customers", "", "customer ids, comma-separated (for example 1649,1650)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := need([2]string{"id", *id}); err != nil {
		return err
	}
	appID, err := parsePositive("--id", *id)
	if err != nil {
		return err
	}
	ids, err := parseIDList("--customers", *customers)
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		svc := ocpService(s)
		change, done := svc.Grant, "granted"
		if verb == "revoke" {
			change, done = svc.Revoke, "revoked"
		}
		if err := change(e.ctx, appID, ids); err != nil {
			return err
		}
		permitted, err := s.OCP.PermittedCustomers(e.ctx, appID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "application %d: %s customers %s; it may read %d customers\n", appID, done, joinIDs(ids), len(permitted))
		return nil
	})
}

// flagSet tells whether a flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// parsePositive reads an id: a positive integer.
func parsePositive(field, s string) (int64, error) {
	n, err := ocp.ParseInteger(field, s)
	if err == nil && n <= 0 {
		err = carebridge.Errorf(carebridge.EINVALID, "%s must be a positive integer; got %d.", field, n)
	}
	return n, err
}

// parseIDList reads comma-separated positive integers (spaces around the
// commas allowed), without repeats.
func parseIDList(field, s string) ([]int64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, carebridge.Errorf(carebridge.EMISSING, "%s is required: customer ids separated by commas, such as 1649,1650.", field)
	}
	var ids []int64
	for i, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			return nil, carebridge.Errorf(carebridge.EINVALID, "%s: element %d of %s is empty.", field, i+1, quoteShort(s))
		}
		id, err := parsePositive(field, part)
		if err != nil {
			return nil, carebridge.Errorf(carebridge.EINVALID, "%s: %s is not a positive integer.", field, quoteShort(strings.TrimSpace(part)))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// quoteShort quotes a value for a message, cut to 40 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "…"
	}
	return strconv.Quote(s)
}
