package rpcapi

import (
	"context"
	"encoding/json"
	"errors"

	"carebridge/internal/events"
	"carebridge/internal/host"
	"carebridge/internal/jsonrpc"
)

// Callsigns of the plane's own plugins.
const (
	Controller             = "Controller"
	CustomerCareOperations = "CustomerCareOperations"
)

// builtinPlugin is the host's view of Controller and CustomerCareOperations.
type builtinPlugin string

func (p builtinPlugin) Callsign() string  { return string(p) }
func (p builtinPlugin) ClassName() string { return string(p) }
func (p builtinPlugin) Version() string   { return "1.0.0" }

type pluginJSON struct {
	Callsign  string     `json:"callsign"`
	ClassName string     `json:"classname"`
	State     host.State `json:"state"`
	Version   string     `json:"version"`
}

type callsignParams struct {
	Callsign string `json:"callsign"`
}

// StateChange is the params of Controller's statechange event.
type StateChange struct {
	Callsign string     `json:"callsign"`
	State    host.State `json:"state"`
	Reason   string     `json:"reason"`
}

func (h *Handler) controller() *jsonrpc.Plugin {
	status := func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		out := []pluginJSON{}
		for _, p := range h.host.Plugins() {
			if c.Index == "" || c.Index == p.Callsign {
				out = append(out, pluginJSON{Callsign: p.Callsign, ClassName: p.ClassName, State: p.State, Version: p.Version})
			}
		}
		if c.Index != "" && len(out) == 0 {
			return nil, jsonrpc.NewError(jsonrpc.CodeUnknownCallsign)
		}
		return out, nil
	}
	return &jsonrpc.Plugin{Callsign: Controller, Versions: []int{1}, Methods: map[string]jsonrpc.Handler{
		"status":     status,
		"services":   status,
		"activate":   h.setState(host.Activated),
		"deactivate": h.setState(host.Deactivated),
	}, Events: []string{"statechange"}}
}

// setState is Controller.activate and deactivate. The Controller itself
// cannot be deactivated: without it nothing could activate it again.
func (h *Handler) setState(state host.State) jsonrpc.Handler {
	return func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		var p callsignParams
		if err := c.Bind(&p); err != nil || p.Callsign == "" {
			return nil, jsonrpc.NewError(jsonrpc.CodeInvalidParams)
		}
		if p.Callsign == Controller {
			return nil, jsonrpc.NewError(jsonrpc.CodeNotAllowed)
		}
		if _, ok := h.host.Plugin(p.Callsign); !ok {
			return nil, jsonrpc.NewError(jsonrpc.CodeUnknownCallsign)
		}
		// Saved first, so a replica that starts later reads it; then every
		// replica (this one too) switches, and subscribers everywhere hear
		// statechange once.
		active := state == host.Activated
		if err := h.cfg.Tenancy.SetPluginState(ctx, p.Callsign, active); err != nil {
			return nil, err
		}
		changed, _ := h.host.SetState(p.Callsign, state)
		if err := h.cfg.Publish(ctx, events.Message{Kind: events.PluginState, Callsign: p.Callsign, Active: active}); err != nil {
			return nil, err
		}
		if changed {
			h.log.InfoContext(ctx, "plugin state changed", "callsign", p.Callsign, "state", state)
			params, _ := json.Marshal(StateChange{Callsign: p.Callsign, State: state, Reason: "Requested"})
			if err := h.cfg.Publish(ctx, events.Message{Kind: events.PluginEvent, Callsign: Controller, Event: "statechange", Params: params}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

// factoryResetMethods are both spellings the documents use: factoryReset
// (the 1.0.0 interface) and factoryreset (the older generator).
var factoryResetMethods = []string{"factoryReset", "factoryreset"}

// resettable adds factoryReset to a data-owning plugin's interface; the
// host wipes the plugin's data.
func (h *Handler) resettable(callsign string) *jsonrpc.Plugin {
	return withMethods(callsign, func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		return nil, h.reset(ctx, c, []string{callsign})
	})
}

// customerCareOperations resets every plugin that owns data, together:
// in one transaction, refused whole when one of them is deactivated.
func (h *Handler) customerCareOperations() *jsonrpc.Plugin {
	return withMethods(CustomerCareOperations, func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		return nil, h.reset(ctx, c, h.host.Resettable())
	})
}

// withMethods is the interface of a plugin whose only method is
// factoryReset; it publishes no events.
func withMethods(callsign string, reset jsonrpc.Handler) *jsonrpc.Plugin {
	p := &jsonrpc.Plugin{Callsign: callsign, Versions: []int{1}, Methods: map[string]jsonrpc.Handler{}}
	for _, m := range factoryResetMethods {
		p.Methods[m] = reset
	}
	return p
}

// reset wipes the plugins' data, unless configuration forbids it, and then
// lets the server restore what it keeps (the demo data set), once.
// factoryReset takes no parameters: params absent, null or {} are
// accepted (Thunder's form of a call without parameters), anything else
// is invalid and nothing is wiped. A deactivated plugin among them makes
// the whole reset answer -31002, as the plugin itself would.
func (h *Handler) reset(ctx context.Context, c *jsonrpc.Call, callsigns []string) error {
	if !h.cfg.FactoryReset {
		return jsonrpc.NewError(jsonrpc.CodeNotAllowed)
	}
	if err := c.Bind(&struct{}{}); err != nil {
		return err
	}
	id, _ := callerOf(ctx)
	actor := id.actor()
	if err := h.host.FactoryReset(ctx, actor, callsigns); err != nil {
		if errors.Is(err, host.ErrNotActive) {
			h.log.InfoContext(ctx, "factory reset refused", "err", err, "actor", actor)
			return jsonrpc.NewError(jsonrpc.CodeNotActive)
		}
		return err
	}
	h.log.InfoContext(ctx, "factory reset", "callsigns", callsigns, "actor", actor)
	if h.cfg.AfterReset == nil {
		return nil
	}
	return h.cfg.AfterReset(ctx, callsigns)
}
