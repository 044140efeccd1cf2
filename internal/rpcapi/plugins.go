package rpcapi

import (
	"context"
	"encoding/json"

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
	}}
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

// resettable adds factoryReset to a data-owning plugin's interface.
func (h *Handler) resettable(callsign string, p host.CustomerCareOperations) *jsonrpc.Plugin {
	reset := func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		return nil, h.reset(ctx, callsign, p)
	}
	return withMethods(callsign, reset)
}

// customerCareOperations resets every plugin that implements the interface.
func (h *Handler) customerCareOperations() *jsonrpc.Plugin {
	resetAll := func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		for _, info := range h.host.Plugins() {
			p, _ := h.host.Plugin(info.Callsign)
			if r, ok := p.(host.CustomerCareOperations); ok {
				if err := h.reset(ctx, info.Callsign, r); err != nil {
					return nil, err
				}
			}
		}
		return nil, nil
	}
	return withMethods(CustomerCareOperations, resetAll)
}

func withMethods(callsign string, reset jsonrpc.Handler) *jsonrpc.Plugin {
	p := &jsonrpc.Plugin{Callsign: callsign, Versions: []int{1}, Methods: map[string]jsonrpc.Handler{}}
	for _, m := range factoryResetMethods {
		p.Methods[m] = reset
	}
	return p
}

// reset wipes one plugin's data, unless configuration forbids it, and
// then lets the server restore what it keeps (the demo data set).
func (h *Handler) reset(ctx context.Context, callsign string, p host.CustomerCareOperations) error {
	if !h.cfg.FactoryReset {
		return jsonrpc.NewError(jsonrpc.CodeNotAllowed)
	}
	actor := "admin:" + adminName(ctx)
	if err := p.FactoryReset(ctx, actor); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "factory reset", "callsign", callsign, "actor", actor)
	if h.cfg.AfterReset != nil {
		return h.cfg.AfterReset(ctx, callsign)
	}
	return nil
}
