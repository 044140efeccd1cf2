package rpcapi

import (
	"carebridge/docs"
)

// OpenRPCPath is where the plane's OpenRPC document is served. It is
// public, like any API description: it tells nothing the methods
// themselves do not, and clients read it before they hold a token.
const OpenRPCPath = "/openrpc.json"

// ServeOpenRPC answers the OpenRPC document built into the binary.
var ServeOpenRPC = docs.Serve(docs.OpenRPC)
