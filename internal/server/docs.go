package server

import (
	"carebridge/docs"
)

// OpenAPIPath is where the OpenAPI document of the REST faces is served.
// Like the plane's OpenRPC document it is public: it describes what the
// routes answer anyone, and integrators read it before they hold a token.
const OpenAPIPath = "/openapi.json"

// serveOpenAPI answers the OpenAPI document built into the binary.
var serveOpenAPI = docs.Serve(docs.OpenAPI)
