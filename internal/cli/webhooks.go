package cli

import (
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"carebridge"
	"carebridge/internal/server"
	"carebridge/internal/webhook"
)

// Deliveries lists at most maxDeliveries, defaultDeliveries unless asked.
const (
	defaultDeliveries = 50
	maxDeliveries     = 1000
)

// operatorFlags name an operator: organisation and operator, both
// required. Every webhook command names the operator, so that an id
// mistyped cannot reach another operator's endpoint or delivery.
type operatorFlags struct{ org, operator *string }

func newOperatorFlags(fs *flag.FlagSet) operatorFlags {
	return operatorFlags{
		org:      fs.String("org", "", "organisation name"),
		operator: fs.String("operator", "", "operator (group) name"),
	}
}

func (o operatorFlags) need() error {
	return need([2]string{"org", *o.org}, [2]string{"operator", *o.operator})
}

func (o operatorFlags) find(e env, s *server.Stores) (carebridge.Operator, error) {
	return findOperator(e, s, *o.org, *o.operator)
}

// of names the operator in messages.
func (o operatorFlags) of() string {
	return fmt.Sprintf("operator %q of %q", *o.operator, *o.org)
}

// flagError words a domain error as the flag's.
func flagError(flag string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s", flag, carebridge.ErrorMessage(err))
}

// needID reads a required --id.
func needID(id int64) error {
	switch {
	case id == 0:
		return need([2]string{"id", ""})
	case id < 0:
		return fmt.Errorf("--id must be a positive number, not %d", id)
	}
	return nil
}

// webhookCreate registers an endpoint and prints its signing secret once.
func webhookCreate(e env, args []string) error {
	fs, db := e.helpFlags("webhook create", "--org ORG --operator NAME --url URL --events TYPE,TYPE",
		"Registers an endpoint the operator's webhook events are delivered to, signed, and prints\n"+
			"its signing secret once. --url is an absolute http or https URL; --events lists the\n"+
			"event types it takes, separated by commas: "+webhook.FormatEventTypes(webhook.EventTypes)+".", args)
	of := newOperatorFlags(fs)
	rawURL := fs.String("url", "", "where events are delivered (http or https)")
	events := fs.String("events", "", "event types, separated by commas: "+webhook.FormatEventTypes(webhook.EventTypes))
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := of.need(); err != nil {
		return err
	}
	if err := need([2]string{"url", *rawURL}, [2]string{"events", *events}); err != nil {
		return err
	}
	if err := flagError("--url", webhook.ValidateURL(*rawURL)); err != nil {
		return err
	}
	types, err := webhook.ParseEventTypes(*events)
	if err != nil {
		return flagError("--events", err)
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := of.find(e, s)
		if err != nil {
			return err
		}
		ep, err := s.Tenancy.CreateEndpoint(e.ctx, webhook.Endpoint{OperatorID: op.ID, URL: *rawURL, Events: types, CreatedAt: time.Now()}, secret)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "webhook endpoint %d of %s: %s takes %s\nsigning secret: %s\nIt is not shown again: store it now.\n",
			ep.ID, of.of(), ep.URL, webhook.FormatEventTypes(ep.Events), secret)
		return nil
	})
}

// webhookList lists the operator's endpoints, never their secrets.
func webhookList(e env, args []string) error {
	fs, db := e.helpFlags("webhook list", "--org ORG --operator NAME",
		"Lists the operator's webhook endpoints: id, URL, event types and created; never the secrets.", args)
	of := newOperatorFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := of.need(); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := of.find(e, s)
		if err != nil {
			return err
		}
		eps, err := s.Tenancy.Endpoints(e.ctx, op.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tEVENTS\tCREATED")
		for _, ep := range eps {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ep.ID, ep.URL, webhook.FormatEventTypes(ep.Events), ep.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// webhookDelete deletes one of the operator's endpoints.
func webhookDelete(e env, args []string) error {
	fs, db := e.helpFlags("webhook delete", "--org ORG --operator NAME --id N",
		"Deletes one of the operator's webhook endpoints, and its deliveries, pending or not.", args)
	of := newOperatorFlags(fs)
	id := fs.Int64("id", 0, "the endpoint's id (webhook list)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := of.need(); err != nil {
		return err
	}
	if err := needID(*id); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := of.find(e, s)
		if err != nil {
			return err
		}
		if err := s.Tenancy.DeleteEndpoint(e.ctx, op.ID, *id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "webhook endpoint %d of %s deleted, with its deliveries\n", *id, of.of())
		return nil
	})
}

// webhookDeliveries lists the operator's most recent deliveries.
func webhookDeliveries(e env, args []string) error {
	fs, db := e.helpFlags("webhook deliveries", "--org ORG --operator NAME [--failed] [--limit N]",
		"Lists the deliveries to the operator's webhook endpoints, newest first: the event, its state\n"+
			"(pending, delivered or failed), the attempts made, the last answer or error, and when a pending\n"+
			"one is tried next or when the others ended.", args)
	of := newOperatorFlags(fs)
	failed := fs.Bool("failed", false, "only the deliveries that failed")
	limit := fs.Int("limit", defaultDeliveries, "at most this many, up to "+strconv.Itoa(maxDeliveries))
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := of.need(); err != nil {
		return err
	}
	if *limit < 1 || *limit > maxDeliveries {
		return fmt.Errorf("--limit must be from 1 to %d, not %d", maxDeliveries, *limit)
	}
	return withStores(e, *db, func(s *server.Stores) error {
		op, err := of.find(e, s)
		if err != nil {
			return err
		}
		ds, err := s.Tenancy.Deliveries(e.ctx, op.ID, *failed, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEVENT\tTYPE\tCUSTOMER\tENDPOINT\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tENDED\tLAST")
		for _, d := range ds {
			next, ended := "-", "-"
			if d.State == webhook.Pending {
				next = d.NextAttemptAt.UTC().Format(time.RFC3339)
			} else if !d.EndedAt.IsZero() {
				ended = d.EndedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n",
				d.ID, d.EventID, d.Type, d.Customer, d.EndpointID, d.State, d.Attempts, next, ended, lastOutcome(d))
		}
		return tw.Flush()
	})
}

// lastOutcome is a delivery's last HTTP status and error, "-" for none.
func lastOutcome(d webhook.Delivery) string {
	switch {
	case d.LastStatus != 0 && d.LastError != "":
		return strconv.Itoa(d.LastStatus) + " " + d.LastError
	case d.LastStatus != 0:
		return strconv.Itoa(d.LastStatus)
	case d.LastError != "":
		return d.LastError
	}
	return "-"
}

// webhookRedeliver makes one of the operator's deliveries pending again.
func webhookRedeliver(e env, args []string) error {
	fs, db := e.helpFlags("webhook redeliver", "--id N [--org ORG --operator NAME]",
		"Delivers a webhook delivery again, failed or not: it is tried at once and retried for\n"+
			webhook.MaxAge.String()+" from now; its attempts go on counting. With --org and --operator, only\n"+
			"a delivery of that operator is taken, so that a mistyped id cannot reach another's.", args)
	of := newOperatorFlags(fs)
	id := fs.Int64("id", 0, "the delivery's id (webhook deliveries)")
	if err := parse(fs, args); err != nil {
		return err
	}
	scoped := *of.org != "" || *of.operator != ""
	if scoped {
		if err := of.need(); err != nil {
			return err
		}
	}
	if err := needID(*id); err != nil {
		return err
	}
	return withStores(e, *db, func(s *server.Stores) error {
		var d webhook.Delivery
		whose := "of its operator"
		if scoped {
			op, err := of.find(e, s)
			if err != nil {
				return err
			}
			if d, err = s.Tenancy.RedeliverOf(e.ctx, op.ID, *id, time.Now()); err != nil {
				return err
			}
			whose = "of " + of.of()
		} else {
			var err error
			if d, err = s.Tenancy.Redeliver(e.ctx, *id, time.Now()); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "webhook delivery %d %s is pending again: event %d (%s of customer %q) to %s, attempted %d times so far, retried until %s\n",
			d.ID, whose, d.EventID, d.Type, d.Customer, d.URL, d.Attempts, d.RetryUntil.UTC().Format(time.RFC3339))
		return nil
	})
}
