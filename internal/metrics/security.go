package metrics

import "github.com/prometheus/client_golang/prometheus"

// securityMetrics count what the faces refused an unknown or hostile
// client.
type securityMetrics struct {
	throttled     *prometheus.CounterVec
	failedLogins  prometheus.Counter
	badSignatures prometheus.Counter
}

// ThrottleKinds are the values of the kind label of throttle refusals.
var ThrottleKinds = []string{"login_user", "login_address", "ocp_client", "ocp_address"}

func newSecurityMetrics() securityMetrics {
	s := securityMetrics{
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "security", Name: "throttle_refusals_total",
			Help: "Requests refused by a throttle, by kind (login_user, login_address, ocp_client, ocp_address).",
		}, []string{"kind"}),
		failedLogins: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "security", Name: "failed_logins_total",
			Help: "CRM.COM logins refused for a wrong organisation, user or password.",
		}),
		badSignatures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "security", Name: "invalid_partner_signatures_total",
			Help: "Partner charge reports refused for their signature.",
		}),
	}
	for _, k := range ThrottleKinds {
		s.throttled.WithLabelValues(k)
	}
	return s
}

func (s securityMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.throttled, s.failedLogins, s.badSignatures}
}

// Throttled counts one request refused by the throttle of kind, one of
// ThrottleKinds.
func (s securityMetrics) Throttled(kind string) { s.throttled.WithLabelValues(kind).Inc() }

// FailedLogin counts one refused login.
func (s securityMetrics) FailedLogin() { s.failedLogins.Inc() }

// InvalidSignature counts one partner report refused for its signature.
func (s securityMetrics) InvalidSignature() { s.badSignatures.Inc() }
