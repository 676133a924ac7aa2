package awsproto

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/fxamacker/cbor/v2"
)

// QueryError is an error of the query protocol (IAM, STS, SNS, CloudWatch's
// query form), written as <ErrorResponse><Error><Type/><Code/><Message/>
// </Error><RequestId/></ErrorResponse>.
type QueryError struct {
	Status  int
	Code    string
	Message string
	// Receiver marks a server-side fault (Type Receiver); else Sender.
	Receiver bool
}

func (e *QueryError) Error() string { return e.Code + ": " + e.Message }

type queryErrorResponse struct {
	XMLName   xml.Name         `xml:"ErrorResponse"`
	Namespace string           `xml:"xmlns,attr,omitempty"`
	Error     queryErrorDetail `xml:"Error"`
	RequestID string           `xml:"RequestId"`
}

type queryErrorDetail struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// WriteQueryError writes e in the query protocol's envelope, under the
// service's XML namespace (none when empty) and with requestID.
func WriteQueryError(w http.ResponseWriter, requestID, namespace string, e *QueryError) {
	kind := "Sender"
	if e.Receiver {
		kind = "Receiver"
	}
	body, err := xml.Marshal(queryErrorResponse{
		Namespace: namespace,
		Error:     queryErrorDetail{Type: kind, Code: e.Code, Message: e.Message},
		RequestID: requestID,
	})
	if err != nil { // cannot happen: every field is a string
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeBody(w, e.Status, "text/xml", body)
}

type ec2ErrorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

// writeEC2Error writes an error as EC2's query dialect does:
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
func writeEC2Error(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	body, err := xml.Marshal(ec2ErrorResponse{Code: code, Message: message, RequestID: RequestID(r.Context())})
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "text/xml", body)
}

// RPCError is an error of the JSON 1.0/1.1 and RPC v2 CBOR protocols: a
// body of "__type" and "message" (and Fields), in JSON or CBOR.
type RPCError struct {
	Status  int
	Code    string // "__type"
	Message string
	// QueryCode, for a service with the awsQueryCompatible trait
	// (CloudWatch, SQS), is the error's query-protocol code, sent as
	// x-amzn-query-error: <QueryCode>;Sender (Receiver for a 5xx).
	QueryCode string
	// Fields are the error's other modelled members.
	Fields map[string]string
}

func (e *RPCError) Error() string { return e.Code + ": " + e.Message }

// WriteRPCError writes e as p (JSON10, JSON11 or RPCv2CBOR) writes errors.
// The request ID goes in the X-Amzn-RequestId header (Middleware sets it).
func WriteRPCError(w http.ResponseWriter, p Protocol, e *RPCError) {
	body := make(map[string]string, 2+len(e.Fields))
	for k, v := range e.Fields {
		body[k] = v
	}
	body["__type"] = e.Code
	body["message"] = e.Message
	if e.QueryCode != "" {
		fault := "Sender"
		if e.Status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.QueryCode+";"+fault)
	}
	writeRPCBody(w, p, e.Status, body)
}

// writeRPCBody encodes v as p's body (a CBOR map or a JSON object).
func writeRPCBody(w http.ResponseWriter, p Protocol, status int, v any) {
	var (
		b   []byte
		err error
	)
	if p == RPCv2CBOR {
		w.Header().Set("Smithy-Protocol", smithyProtocolCBOR)
		b, err = cbor.Marshal(v)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil { // only plain maps and strings get here
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeBody(w, status, p.contentType(), b)
}

// restXMLError writes an error of a REST-XML service other than S3 (Route
// 53, CloudFront): the query protocol's ErrorResponse envelope.
func writeRESTXMLError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	WriteQueryError(w, RequestID(r.Context()), "", &QueryError{Status: status, Code: code, Message: message, Receiver: status >= 500})
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fault is an error the plumbing itself answers (a service not served, a
// refused signature, a panic), in whatever protocol the request speaks.
type fault struct {
	status        int
	code, message string
	// queryCode, when set, replaces code in the query protocol (AWS names
	// some errors differently there: InvalidClientTokenId for
	// UnrecognizedClientException).
	queryCode string
	namespace string // the query protocol's XML namespace
	s3        bool   // REST-XML as S3 writes it: <Error> without <ErrorResponse>
}

// writeFault is the one place the plumbing's own errors are written, in p.
func writeFault(w http.ResponseWriter, r *http.Request, p Protocol, f fault) {
	switch p {
	case Query:
		code := f.code
		if f.queryCode != "" {
			code = f.queryCode
		}
		WriteQueryError(w, RequestID(r.Context()), f.namespace, &QueryError{Status: f.status, Code: code, Message: f.message, Receiver: f.status >= 500})
	case EC2:
		code := f.code
		if f.queryCode != "" {
			code = f.queryCode
		}
		writeEC2Error(w, r, f.status, code, f.message)
	case RESTXML:
		if f.s3 {
			WriteS3Error(w, r, &S3Error{Status: f.status, Code: f.code, Message: f.message})
			return
		}
		writeRESTXMLError(w, r, f.status, f.code, f.message)
	case JSON10, JSON11, RPCv2CBOR:
		WriteRPCError(w, p, &RPCError{Status: f.status, Code: f.code, Message: f.message})
	default:
		WriteError(w, r, &Error{Status: f.status, Code: f.code, Message: f.message})
	}
}

// internalFailureMessage is AWS's message of InternalFailure, the common
// error of every service.
const internalFailureMessage = "The request processing has failed because of an unknown error, exception or failure."

// writeInternalError answers a failure of Reservoir itself (a panic) in
// protocol p: Lambda's ServiceException in REST-JSON, else InternalFailure.
func writeInternalError(w http.ResponseWriter, r *http.Request, p Protocol) {
	switch p {
	case 0, RESTJSON:
		WriteError(w, r, &Error{Status: 500, Code: "ServiceException", Message: "An internal error occurred.", WithType: true, TypeValue: "Service"})
	default:
		writeFault(w, r, p, fault{status: 500, code: "InternalFailure", message: internalFailureMessage})
	}
}
