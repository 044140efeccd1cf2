package crmapi

import (
	"context"

	"carebridge"
	"carebridge/internal/netflix"
)

type deviceJSON struct {
	ESN string `json:"esn"`
}

type failedDevicesJSON struct {
	FailedDevicesSet []deviceJSON `json:"failed_devices_set"`
}

// devices serves POST netflix/operators/register_devices and
// unregister_devices, which differ only in the service method.
func (h *Handler) devices(apply func(*netflix.Service, context.Context, carebridge.Caller, carebridge.GroupIdentifier, []string) ([]string, error)) method {
	return func(ctx context.Context, c *call) (any, error) {
		var g carebridge.GroupIdentifier
		if gp := c.object("group_identifier"); gp != nil {
			g = carebridge.GroupIdentifier{ID: gp.string("id"), Name: gp.string("name"), AlternativeCode: gp.string("alternative_code")}
			gp.close()
		}
		items := c.objects("devices")
		esns := make([]string, len(items))
		for i, it := range items {
			esns[i] = it.required("esn")
			it.close()
		}
		if err := c.done(); err != nil {
			return nil, err
		}
		failed, err := apply(h.netflix, ctx, c.caller, g, esns)
		if err != nil {
			return nil, err
		}
		out := failedDevicesJSON{FailedDevicesSet: make([]deviceJSON, len(failed))}
		for i, esn := range failed {
			out.FailedDevicesSet[i] = deviceJSON{ESN: esn}
		}
		return out, nil
	}
}
