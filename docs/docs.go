// Package docs holds the documents the server serves about itself, built
// into the binary so that what is served is what this build answers.
package docs

import (
	_ "embed"
	"net/http"

	"carebridge/internal/face"
)

// OpenRPC is the OpenRPC document of the JSON-RPC plane (openrpc.json):
// every method, its params, results and errors, and the events under
// x-events. Tests in internal/rpcapi and internal/jsonrpc hold it to what
// the dispatcher serves.
//
//go:embed openrpc.json
var OpenRPC []byte

// OpenAPI is the OpenAPI 3.1 document of the REST faces (openapi.json):
// the CRM.COM methods, the OAuth2 token endpoint and OCP routes, and the
// signed partner intake. Tests in the faces' packages validate their live
// answers against it, and internal/server holds its paths to the routes
// the server registers.
//
//go:embed openapi.json
var OpenAPI []byte

// Serve answers a document built into the binary. Any origin may read it
// (Access-Control-Allow-Origin: *): it is public, and browser tools on
// other origins load API descriptions.
func Serve(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		face.WriteRawJSON(w, http.StatusOK, doc)
	}
}
