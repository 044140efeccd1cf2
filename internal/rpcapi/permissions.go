package rpcapi

import (
	"context"
	"slices"

	"carebridge"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/netflix"
)

var (
	everyone    = []carebridge.Role{carebridge.RoleCare, carebridge.RoleSupervisor, carebridge.RoleOps, carebridge.RoleAdmin}
	operations  = []carebridge.Role{carebridge.RoleOps, carebridge.RoleAdmin}
	careAgents  = []carebridge.Role{carebridge.RoleCare, carebridge.RoleSupervisor}
	supervisors = []carebridge.Role{carebridge.RoleSupervisor}
)

// permissions is who may call what, by "Callsign.method" (the README's
// table of roles). A method that is not listed may be called by nobody,
// so a method added without a line here is refused, not open; factoryReset
// on every plugin is admin's (see allowed).
var permissions = map[string][]carebridge.Role{
	Controller + ".status":     everyone,
	Controller + ".services":   everyone,
	Controller + ".activate":   operations,
	Controller + ".deactivate": operations,

	netflix.Callsign + ".find":         careAgents,
	netflix.Callsign + ".customer":     careAgents,
	netflix.Callsign + ".history":      careAgents,
	netflix.Callsign + ".suspend":      careAgents,
	netflix.Callsign + ".unsuspend":    careAgents,
	netflix.Callsign + ".reissueToken": careAgents,
	netflix.Callsign + ".cancel":       supervisors,
	netflix.Callsign + ".overview":     supervisors,
}

// allowed tells whether role may call method of plugin p. versions and
// exists describe the plane and are open to every role; register and
// unregister are open to the roles that may read the plugin (call one of
// its methods other than factoryReset), since its events tell what those
// methods would.
func allowed(role carebridge.Role, p *jsonrpc.Plugin, method string) bool {
	switch method {
	case "versions", "exists":
		return true
	case "register", "unregister":
		for name := range p.Methods {
			if !slices.Contains(factoryResetMethods, name) && may(role, p.Callsign, name) {
				return true
			}
		}
		return false
	}
	return may(role, p.Callsign, method)
}

// may reads the table, where factoryReset on every plugin is admin's.
func may(role carebridge.Role, callsign, method string) bool {
	if slices.Contains(factoryResetMethods, method) {
		return role == carebridge.RoleAdmin
	}
	return slices.Contains(permissions[callsign+"."+method], role)
}

// permit is the dispatcher's check of every call.
func permit(ctx context.Context, p *jsonrpc.Plugin, method string) bool {
	id, ok := callerOf(ctx)
	return ok && allowed(id.role, p, method)
}
