package server

import (
	"net/http"
	"strconv"

	"carebridge/docs"
)

// OpenAPIPath is where the OpenAPI document of the REST faces is served.
// Like the plane's OpenRPC document it is public: it describes what the
// routes answer anyone, and integrators read it before they hold a token.
const OpenAPIPath = "/openapi.json"

// serveOpenAPI answers the OpenAPI document built into the binary.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(docs.OpenAPI)))
	w.Write(docs.OpenAPI)
}
