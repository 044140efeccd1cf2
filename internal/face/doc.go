// Package face holds what the HTTP faces (crmapi, ocpapi, partnerapi,
// rpcapi) do alike: reading the caller from a request, writing JSON
// answers, logging internal errors, and the dates of the wire. Each face
// keeps its own error table and error body.
package face
