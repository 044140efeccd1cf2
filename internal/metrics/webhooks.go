package metrics

import "github.com/prometheus/client_golang/prometheus"

// webhookMetrics count the webhook Deliverer's attempts.
type webhookMetrics struct {
	attempts *prometheus.CounterVec
}

// WebhookOutcomes are the values of the outcome label of webhook attempts.
var WebhookOutcomes = []string{"delivered", "retried", "failed"}

func newWebhookMetrics() webhookMetrics {
	w := webhookMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "webhook", Name: "attempts_total",
			Help: "Webhook delivery attempts, by outcome: delivered (2xx), retried (to be tried again), failed (retried for a day, given up).",
		}, []string{"outcome"}),
	}
	for _, o := range WebhookOutcomes {
		w.attempts.WithLabelValues(o)
	}
	return w
}

func (w webhookMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{w.attempts}
}

// WebhookAttempt counts one attempt by outcome, one of WebhookOutcomes.
func (w webhookMetrics) WebhookAttempt(outcome string) { w.attempts.WithLabelValues(outcome).Inc() }
