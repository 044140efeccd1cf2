package partnerapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"carebridge"
	"carebridge/internal/face"
	"carebridge/internal/host"
	"carebridge/internal/middleware"
	"carebridge/internal/netflix"
	"carebridge/internal/signature"
)

// Path is where partners post charge reports.
const Path = "/partner/netflix/v1/charges"

// Headers of a signed report.
const (
	OperatorHeader  = "X-Partner-Operator"  // the operator's group id
	SignatureHeader = "X-Partner-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256>
)

// SignatureWindow is how far a report's timestamp may be from now.
const SignatureWindow = 5 * time.Minute

// MaxBodyBytes bounds a report (1000 charges fit in well under 1 MiB).
const MaxBodyBytes = 2 << 20

// Secrets gives an operator's partner secret.
type Secrets interface {
	PartnerSecret(ctx context.Context, operatorID int64) (string, error)
}

// Observer is told what the face did with each signed report, so that
// the server can count intake without this package knowing how.
type Observer interface {
	// IntakeItems reports the items of one verified report by outcome.
	IntakeItems(created, duplicate, rejected int)
	// InvalidSignature reports a report refused for its signature.
	InvalidSignature()
}

type nopObserver struct{}

func (nopObserver) IntakeItems(int, int, int) {}
func (nopObserver) InvalidSignature()         {}

// Handler serves the partner face.
type Handler struct {
	// Observer is told of intake and refused signatures; nil: nobody.
	Observer Observer

	secrets Secrets
	netflix *netflix.Service
	host    *host.Host
	now     func() time.Time
	log     *slog.Logger
}

// New returns the partner face.
func New(secrets Secrets, n *netflix.Service, h *host.Host, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{secrets: secrets, netflix: n, host: h, now: now, log: log}
}

var errBadSignature = carebridge.Errorf(carebridge.EUNAUTHORIZED,
	"The report is not signed for this operator: send X-Partner-Operator and X-Partner-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">).")

var errStale = carebridge.Errorf(carebridge.EUNAUTHORIZED, "The signature's timestamp is more than 5 minutes from the server's clock.")

type resultJSON struct {
	PartnerChargeID string  `json:"partner_charge_id"`
	Status          string  `json:"status"` // created, duplicate or rejected
	Number          *string `json:"number"`
	Error           *string `json:"error"`
}

type reportJSON struct {
	Results []resultJSON `json:"results"`
}

// Routes returns the ServeMux pattern of the face's one route. The
// handler is mounted at Path for every method and answers 405 for any
// other than POST.
func (h *Handler) Routes() []string { return []string{http.MethodPost + " " + Path} }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "Charge reports are sent with POST."))
		return
	}
	results, err := h.serve(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	face.WriteJSON(w, http.StatusOK, results, internalErrorBody)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (reportJSON, error) {
	if err := face.Active(h.host, netflix.Callsign, netflix.Callsign); err != nil {
		return reportJSON{}, err
	}
	body, err := middleware.ReadBody(w, r, MaxBodyBytes)
	if middleware.TooLarge(err) {
		return reportJSON{}, carebridge.Errorf(carebridge.ETOOLARGE, "The report is larger than %d bytes.", MaxBodyBytes)
	}
	if err != nil {
		return reportJSON{}, carebridge.Errorf(carebridge.EINVALID, "The report could not be read.")
	}
	operatorID, report, err := h.verify(r.Context(), r.Header, body)
	if carebridge.ErrorCode(err) == carebridge.EUNAUTHORIZED {
		h.observer().InvalidSignature()
	}
	if err != nil {
		return reportJSON{}, err
	}
	charges, itemErrs, err := DecodeReport(body)
	if err != nil {
		return reportJSON{}, err
	}
	var valid []netflix.NewCharge
	var index []int
	for i, c := range charges {
		if itemErrs[i] == nil {
			valid = append(valid, c)
			index = append(index, i)
		}
	}
	// The signature names the report: sent again byte for byte (a client
	// retrying after a timeout), it gets the answer the first one got and
	// stores nothing new.
	stored, err := h.netflix.Ingest(r.Context(), operatorID, valid, report)
	if err != nil {
		return reportJSON{}, err
	}
	out := reportJSON{Results: make([]resultJSON, len(charges))}
	for i, c := range charges {
		out.Results[i] = resultJSON{PartnerChargeID: c.PartnerChargeID}
		if itemErrs[i] != nil {
			out.Results[i].rejected(itemErrs[i])
		}
	}
	created, duplicate := 0, 0
	for j, res := range stored {
		out.Results[index[j]] = toResult(res)
		switch {
		case res.Err != nil:
		case res.Duplicate:
			duplicate++
		default:
			created++
		}
	}
	h.observer().IntakeItems(created, duplicate, len(charges)-created-duplicate)
	return out, nil
}

func (h *Handler) observer() Observer {
	if h.Observer == nil {
		return nopObserver{}
	}
	return h.Observer
}

func (r *resultJSON) rejected(err error) {
	msg := carebridge.ErrorMessage(err)
	r.Status, r.Error = "rejected", &msg
}

func toResult(res netflix.IngestResult) resultJSON {
	out := resultJSON{PartnerChargeID: res.PartnerChargeID}
	switch {
	case res.Err != nil:
		out.rejected(res.Err)
		return out
	case res.Duplicate:
		out.Status = "duplicate"
	default:
		out.Status = "created"
	}
	n := netflix.ChargeNumber(res.ChargeID)
	out.Number = &n
	return out
}

// verify authenticates a report: the operator's secret, a timestamp within
// the window, and an HMAC over "<t>.<body>" (package signature). It
// returns the operator and the report's identity, the HMAC in lower-case
// hex. Every failure gives the same answer, so nothing tells an operator
// id that exists from one that does not. The window bounds how long
// captured bytes can be sent again, which can only repeat what they
// already did.
func (h *Handler) verify(ctx context.Context, hdr http.Header, body []byte) (operatorID int64, report string, err error) {
	operatorID, err = strconv.ParseInt(hdr.Get(OperatorHeader), 10, 64)
	if err != nil || operatorID <= 0 {
		return 0, "", errBadSignature
	}
	header := hdr.Get(SignatureHeader)
	parsed, err := signature.Parse(header)
	if err != nil {
		return 0, "", errBadSignature
	}
	now := h.now()
	if !parsed.Within(now, SignatureWindow) {
		return 0, "", errStale
	}
	secret, err := h.secrets.PartnerSecret(ctx, operatorID)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		secret = "" // compare anyway, so timing does not tell
	case err != nil:
		return 0, "", err
	}
	if err := signature.Verify(secret, header, body, now, SignatureWindow); err != nil {
		return 0, "", errBadSignature
	}
	return operatorID, signature.Digest(secret, parsed.T, body), nil
}

// errMethodNotAllowed is this face's code for a wrong HTTP method.
const errMethodNotAllowed = "partnerapi.method_not_allowed"

// failures maps error codes to HTTP statuses and this face's error codes.
var failures = map[string]struct {
	code   string
	status int
}{
	carebridge.EUNAUTHORIZED: {"invalid_signature", http.StatusUnauthorized},
	carebridge.EMISSING:      {"invalid_report", http.StatusBadRequest},
	carebridge.EINVALID:      {"invalid_report", http.StatusBadRequest},
	carebridge.ETOOLARGE:     {"report_too_large", http.StatusRequestEntityTooLarge},
	carebridge.EUNAVAILABLE:  {"service_unavailable", http.StatusServiceUnavailable},
	carebridge.EINTERNAL:     {"internal_error", http.StatusInternalServerError},
	errMethodNotAllowed:      {"method_not_allowed", http.StatusMethodNotAllowed},
}

type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	f := face.Failure(failures, err)
	if f.status == http.StatusInternalServerError {
		face.LogInternal(h.log, r, "partnerapi: internal error", err)
	}
	var body errorJSON
	body.Error.Code, body.Error.Message = f.code, carebridge.ErrorMessage(err)
	face.WriteJSON(w, f.status, body, internalErrorBody)
}

// internalErrorBody is answered when a body cannot be encoded.
var internalErrorBody = []byte(`{"error":{"code":"internal_error","message":"An internal error occurred."}}`)
