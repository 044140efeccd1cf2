package netflix

import (
	"fmt"

	"carebridge"
	"strconv"
	"strings"
	"time"

	"carebridge/internal/money"
)

// ChargeStatus is a charge's status on Netflix.
type ChargeStatus string

const (
	Pending    ChargeStatus = "PENDING"     // reported, not yet settled: not to be billed
	Approved   ChargeStatus = "APPROVED"    // bill the customer
	Declined   ChargeStatus = "DECLINED"    // subscription suspended: not billed, subscription ends
	BadRequest ChargeStatus = "BAD_REQUEST" // no subscription: not billed (bad data is refused at intake)
	Rejected   ChargeStatus = "REJECTED"    // subscription cancelled: not billed
)

// ChargeStatuses are every status a charge can have: PENDING, then the
// settled ones.
var ChargeStatuses = []ChargeStatus{Pending, Approved, Declined, BadRequest, Rejected}

// Terminates tells whether settling a charge with this status ends the
// customer's subscription (as the CRM.COM document says of each).
func (s ChargeStatus) Terminates() bool {
	return s == Declined || s == BadRequest || s == Rejected
}

// Settled tells whether a status is one settlement gives: any but PENDING.
func (s ChargeStatus) Settled() bool {
	return s == Approved || s == Declined || s == BadRequest || s == Rejected
}

// ParseChargeClass reads charges/list's charge_status: NOT_PROCESSED stands
// for PENDING, PROCESSED for APPROVED, DECLINED, BAD_REQUEST and REJECTED.
func ParseChargeClass(class string) (processed bool, err error) {
	switch class {
	case "NOT_PROCESSED":
		return false, nil
	case "PROCESSED":
		return true, nil
	}
	return false, invalid("charge_status must be NOT_PROCESSED or PROCESSED; got %q.", class)
}

// Charge is one charge the partner reported for a customer.
type Charge struct {
	ID              int64
	OperatorID      int64
	PartnerChargeID string
	Customer        string
	Amount          money.Amount
	LocalAmount     money.Amount // Currency "" when the partner gave none
	PaidThroughDate time.Time    // zero: not given
	ReceivedOn      time.Time
	Status          ChargeStatus
	ApprovedOn      time.Time
	DeclinedOn      time.Time
	BadRequestOn    time.Time
	RejectedOn      time.Time
}

// Number is the CRM.COM charge number, derived from the id.
func (c Charge) Number() string { return ChargeNumber(c.ID) }

// StatusDate is when the charge's current status was set; zero while it
// is PENDING.
func (c Charge) StatusDate() time.Time {
	switch c.Status {
	case Approved:
		return c.ApprovedOn
	case Declined:
		return c.DeclinedOn
	case BadRequest:
		return c.BadRequestOn
	case Rejected:
		return c.RejectedOn
	}
	return time.Time{}
}

// ChargeNumber formats an id as CRM.COM prints it: I00002662.
func ChargeNumber(id int64) string { return fmt.Sprintf("I%08d", id) }

// ParseChargeNumber is the exact inverse of ChargeNumber.
func ParseChargeNumber(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "I")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || ChargeNumber(id) != s {
		return 0, false
	}
	return id, true
}

// Settlement returns the status a PENDING charge settles to, given the
// customer's most recent subscription (nil: none). It is the SettleFunc the
// processor uses.
func Settlement(_ Charge, sub *Subscription) ChargeStatus {
	if sub == nil {
		return BadRequest
	}
	switch sub.LifeCycleState {
	case Effective:
		return Approved
	case NotEffective:
		return Declined
	case Cancelled:
		return Rejected
	}
	return BadRequest
}

// SettleFunc decides a charge's settlement. The processor passes
// Settlement; tests pass their own to stop a settlement half-way.
type SettleFunc func(c Charge, sub *Subscription) ChargeStatus

// SettlementActor is the name the audit trail gives the charge processor.
const SettlementActor = "settlement"

// IntakeActor is the name the audit trail gives the partner reporting a
// charge.
const IntakeActor = "partner"

// NewCharge is a charge as the partner reports it.
type NewCharge struct {
	// ID is 0 for the next number; it is set only to load fixed example
	// data. An engine whose ids come from a sequence must move the sequence
	// past a fixed id, so that later numbers never collide with it.
	ID              int64
	PartnerChargeID string
	Customer        string
	Amount          money.Amount
	LocalAmount     money.Amount // Currency "": none
	PaidThroughDate time.Time
	ReceivedOn      time.Time
}

// MaxChargesPerReport bounds one partner report.
const MaxChargesPerReport = 1000

// Validate checks a reported charge.
func (c NewCharge) Validate() error {
	if c.PartnerChargeID == "" {
		return missing("partner_charge_id")
	}
	if err := checkText("partner_charge_id", c.PartnerChargeID, 128); err != nil {
		return err
	}
	if err := ValidateCustomer(c.Customer); err != nil {
		return err
	}
	if c.ReceivedOn.IsZero() {
		return missing("received_on")
	}
	if err := ValidateChargeDate("received_on", c.ReceivedOn); err != nil {
		return err
	}
	if !c.PaidThroughDate.IsZero() {
		return ValidateChargeDate("paid_through_date", c.PaidThroughDate)
	}
	return nil
}

// Charge dates must fall in [earliestChargeDate, latestChargeDate). A year
// such as 0000 or 9999 is a slip of the sender, not a charge, and would
// otherwise be stored and sorted as if it were real; the bounds are wide
// enough that no real charge is refused.
var (
	earliestChargeDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latestChargeDate   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ValidateChargeDate checks one date of a charge; Validate calls it, and
// a face calls it for a date written as Go's zero time, which Validate
// would take for a date not given.
func ValidateChargeDate(name string, t time.Time) error {
	if t.Before(earliestChargeDate) || !t.Before(latestChargeDate) {
		return invalid("%s is %s; a charge date must be from 1970-01-01 to 2099-12-31 (UTC).", name, t.UTC().Format("2006-01-02T15:04:05"))
	}
	return nil
}

// IngestResult is what happened to one reported charge.
type IngestResult struct {
	PartnerChargeID string
	ChargeID        int64 // 0 when the charge was refused
	Duplicate       bool  // reported before, with the same data: nothing new was stored
	Inserted        bool  // stored by this very call (a re-sent report's charges are answered as new, but not inserted again)
	Err             error // why it was refused (invalid, or its id reused for other data)
}

// StoredCharge is what a store holds of a reported charge, read back to
// answer the report.
type StoredCharge struct {
	ID         int64
	Customer   string
	Amount     money.Amount
	ReceivedOn time.Time
	Report     string // the signed report that created it; "" when loaded otherwise
}

// IngestResults answers a report from what the store inserted in this call
// (by partner id) and what it holds now: a charge inserted now is new; one
// held before, or repeated in the report, is a duplicate when its data
// matches and a conflict when it does not (the same id with other data is
// a partner error, not a retry). A charge that this very report created
// (the same signed bytes sent again by a client that timed out) is answered
// as new again, so a re-sent report gets the answer the first one got.
// Every engine answers through this.
func IngestResults(charges []NewCharge, report string, inserted map[string]int64, stored map[string]StoredCharge) []IngestResult {
	results := make([]IngestResult, len(charges))
	seen := map[string]bool{}
	for i, c := range charges {
		s := stored[c.PartnerChargeID]
		_, insertedNow := inserted[c.PartnerChargeID]
		isNew := insertedNow || (report != "" && s.Report == report)
		results[i] = IngestResult{PartnerChargeID: c.PartnerChargeID, ChargeID: s.ID, Duplicate: !isNew || seen[c.PartnerChargeID],
			Inserted: insertedNow && !seen[c.PartnerChargeID]}
		seen[c.PartnerChargeID] = true
		if results[i].Duplicate && (s.Customer != c.Customer || s.Amount != c.Amount || !s.ReceivedOn.Equal(c.ReceivedOn)) {
			results[i] = IngestResult{PartnerChargeID: c.PartnerChargeID, Err: carebridge.Errorf(carebridge.ECONFLICT,
				"partner_charge_id %q was reported before as %s with other data (customer, amount or received_on).",
				c.PartnerChargeID, ChargeNumber(s.ID))}
		}
	}
	return results
}

// Ack is one item of charges/acknowledge.
type Ack struct {
	Number          string
	Customer        string
	ReferenceNumber string // optional
}

// Failure codes of charges/acknowledge.
const (
	AckWrongCustomer   = "1"
	AckNotFound        = "2"
	AckReferenceInUse  = "3"
	MaxAcksPerCall     = 50
	MaxChargesPerList  = 50
	MaxDevicesPerCall  = 1000
	maxReferenceLength = 128
)

// AckDescriptions are the failure descriptions; "1" is the CRM.COM
// document's own wording.
var AckDescriptions = map[string]string{
	AckWrongCustomer:  "The specified charge was not issued for the specified customer",
	AckNotFound:       "The specified charge was not found",
	AckReferenceInUse: "The specified reference number is already used by this operator",
}

// AckFailure is an item that could not be acknowledged.
type AckFailure struct {
	Number          string
	ReferenceNumber string
	Code            string
}

// ValidateAcks checks a charges/acknowledge request before the store.
func ValidateAcks(acks []Ack) error {
	if len(acks) == 0 {
		return missing("acknowledged_charges_set")
	}
	if len(acks) > MaxAcksPerCall {
		return invalid("acknowledged_charges_set has %d items; at most %d are allowed.", len(acks), MaxAcksPerCall)
	}
	for i, a := range acks {
		path := fmt.Sprintf("acknowledged_charges_set[%d]", i)
		if a.Number == "" {
			return missing(path + ".number")
		}
		if a.Customer == "" {
			return missing(path + ".billing_system_customer_identifier")
		}
		if err := checkText(path+".number", a.Number, 32); err != nil {
			return err
		}
		if err := checkText(path+".billing_system_customer_identifier", a.Customer, maxCustomerLen); err != nil {
			return err
		}
		if err := checkText(path+".reference_number", a.ReferenceNumber, maxReferenceLength); err != nil {
			return err
		}
	}
	return nil
}

// ListRequest is a charges/list query.
type ListRequest struct {
	Processed bool // PROCESSED rather than NOT_PROCESSED
	Limit     int
	Offset    int
}

// ValidateList checks number_of_results and offset.
func ValidateList(limit, offset int64) error {
	if limit < 1 || limit > MaxChargesPerList {
		return invalid("number_of_results must be between 1 and %d.", MaxChargesPerList)
	}
	if offset < 0 {
		return invalid("offset must be 0 or more.")
	}
	return nil
}
