package awsproto

//go:generate go run ./internal/genmodels -o models_gen.go

import (
	"net/http"
	"net/url"
	"strings"
)

// Protocol is an AWS wire protocol, as botocore's models name them.
type Protocol uint8

// The protocols AWS services speak. JSON 1.0 and 1.1 differ on the wire
// only in their Content-Type.
const (
	RESTJSON Protocol = iota + 1
	RESTXML
	Query
	EC2
	JSON10
	JSON11
	RPCv2CBOR
)

func (p Protocol) String() string {
	switch p {
	case RESTJSON:
		return "rest-json"
	case RESTXML:
		return "rest-xml"
	case Query:
		return "query"
	case EC2:
		return "ec2"
	case JSON10:
		return "json-1.0"
	case JSON11:
		return "json-1.1"
	case RPCv2CBOR:
		return "rpc-v2-cbor"
	}
	return "unknown"
}

// isJSON reports whether p is JSON 1.0 or 1.1.
func (p Protocol) isJSON() bool { return p == JSON10 || p == JSON11 }

// contentType is the Content-Type of p's bodies.
func (p Protocol) contentType() string {
	switch p {
	case JSON10:
		return "application/x-amz-json-1.0"
	case JSON11:
		return "application/x-amz-json-1.1"
	case RPCv2CBOR:
		return "application/cbor"
	case Query, EC2, RESTXML:
		return "text/xml"
	}
	return "application/json"
}

// serviceModel is what botocore's model says of one service (models_gen.go).
type serviceModel struct {
	name      string // botocore's service name, e.g. "cloudwatch"
	id        string // the service ID, e.g. "CloudWatch"
	signing   string // the SigV4 signing name, e.g. "monitoring"
	protocols []Protocol
	// target is the X-Amz-Target prefix of the JSON protocols, and the
	// service name of RPC v2 CBOR paths (botocore builds those from it).
	target     string
	apiVersion string // the query protocol's Version
	xmlns      string // the query protocol's XML namespace
}

// speaks reports whether the model lists p.
func (m *serviceModel) speaks(p Protocol) bool {
	for _, q := range m.protocols {
		if q == p {
			return true
		}
	}
	return false
}

// markers is what a request's method, path and headers say of its service
// and protocol, before its body is read.
type markers struct {
	targetPrefix, targetOp string // X-Amz-Target: <prefix>.<op>
	target                 bool
	cborService, cborOp    string // POST /service/<service>/operation/<op>
	cbor                   bool   // with Smithy-Protocol: rpc-v2-cbor
	action                 string // Action= of the query string
}

// smithyProtocolCBOR is the Smithy-Protocol header of RPC v2 CBOR.
const smithyProtocolCBOR = "rpc-v2-cbor"

func readMarkers(r *http.Request) markers {
	var m markers
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		m.target = true
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			m.targetPrefix, m.targetOp = t[:i], t[i+1:]
		} else {
			m.targetPrefix = t
		}
	}
	if svc, op, ok := cborPath(r.URL.Path); ok {
		m.cborService, m.cborOp = svc, op
		m.cbor = strings.EqualFold(r.Header.Get("Smithy-Protocol"), smithyProtocolCBOR)
	}
	if r.URL.RawQuery != "" && strings.Contains(r.URL.RawQuery, "Action=") {
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
			m.action = q.Get("Action")
		}
	}
	return m
}

// cborPath splits an RPC v2 CBOR path, /service/<service>/operation/<op>.
func cborPath(path string) (service, op string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/service/")
	if !ok {
		return "", "", false
	}
	service, op, ok = strings.Cut(rest, "/operation/")
	if !ok || service == "" || op == "" || strings.Contains(service, "/") || strings.Contains(op, "/") {
		return "", "", false
	}
	return service, op, true
}

// queryShaped reports whether r looks like a query-protocol request: a GET
// of / with an Action, or a POST of / that is neither JSON nor CBOR.
func (m markers) queryShaped(r *http.Request) bool {
	if r.URL.Path != "/" || m.target || m.cbor {
		return false
	}
	return m.action != "" || r.Method == http.MethodPost
}

// protocolOf is the protocol a request to a served service speaks, by its
// markers alone: JSON (its version from the Content-Type), CBOR, query, or
// else REST-JSON.
func (m markers) protocolOf(r *http.Request) Protocol {
	switch {
	case m.cbor:
		return RPCv2CBOR
	case m.target:
		return jsonVersionOf(r, JSON10)
	case m.queryShaped(r):
		return Query
	}
	return RESTJSON
}

// jsonVersionOf reads the JSON protocol version from r's Content-Type, or
// returns def.
func jsonVersionOf(r *http.Request, def Protocol) Protocol {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/x-amz-json-1.1"):
		return JSON11
	case strings.HasPrefix(ct, "application/x-amz-json-1.0"):
		return JSON10
	}
	return def
}
