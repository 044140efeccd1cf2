package server

import (
	"context"

	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// kickOnChange tells the care plane of each committed change, and wakes
// the webhook Deliverer: the change's outbox events are due now.
type kickOnChange struct {
	plane    netflix.Notifier
	webhooks *webhook.Deliverer
}

func (k kickOnChange) SubscriptionChanged(ctx context.Context, c netflix.SubscriptionChange) {
	k.plane.SubscriptionChanged(ctx, c)
	k.webhooks.Kick()
}

func (k kickOnChange) ChargeChanged(ctx context.Context, c netflix.ChargeChange) {
	k.plane.ChargeChanged(ctx, c)
	k.webhooks.Kick()
}

// kickers wakes each of its Kickers.
type kickers []netflix.Kicker

func (ks kickers) Kick() {
	for _, k := range ks {
		k.Kick()
	}
}
