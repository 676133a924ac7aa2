package awsproto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameters of a presigned URL, named as in S3's: the issue time, the
// lifetime in seconds, and the signature, which always comes last.
const (
	presignDate      = "X-Amz-Date"
	presignExpires   = "X-Amz-Expires"
	presignSignature = "X-Amz-Signature"
	presignTimeFmt   = "20060102T150405Z"
	// maxPresignExpires is S3's longest lifetime of a presigned URL (a week).
	maxPresignExpires = 7 * 24 * 60 * 60
)

// MinPresignKey is the shortest key a Presigner accepts.
const MinPresignKey = 32

// Presigner issues and checks presigned URLs: a URL's query carries the
// parameters it was issued with, its issue time and lifetime, and last an
// HMAC-SHA256, keyed with a server secret, over the path and every other
// parameter. Whoever holds the URL may use it until it expires; changing
// any part of it breaks the signature. It is safe for concurrent use.
type Presigner struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewPresigner returns a Presigner whose URLs are valid for ttl (whole
// seconds) from now() at issue. key must hold at least MinPresignKey bytes.
func NewPresigner(key []byte, ttl time.Duration, now func() time.Time) (*Presigner, error) {
	if len(key) < MinPresignKey {
		return nil, fmt.Errorf("presign key has %d bytes, want at least %d", len(key), MinPresignKey)
	}
	if ttl < time.Second || ttl > maxPresignExpires*time.Second {
		return nil, fmt.Errorf("presign lifetime %s out of range [1s, 7 days]", ttl)
	}
	if now == nil {
		now = time.Now
	}
	return &Presigner{key: append([]byte(nil), key...), ttl: ttl.Truncate(time.Second), now: now}, nil
}

// Presign returns the query string that authorizes path, binding params
// (none of which may be named X-Amz-*): params sorted by name, then
// X-Amz-Date, X-Amz-Expires and, last, X-Amz-Signature. path must be in
// its escaped form, as the URL will carry it.
func (p *Presigner) Presign(path string, params url.Values) string {
	q := url.Values{}
	for k, v := range params {
		q[k] = append([]string(nil), v...)
	}
	q.Set(presignDate, p.now().UTC().Format(presignTimeFmt))
	q.Set(presignExpires, strconv.Itoa(int(p.ttl/time.Second)))
	signed := q.Encode() // sorted by name: the canonical form signed
	return signed + "&" + presignSignature + "=" + hex.EncodeToString(p.mac(path, signed))
}

// Verify checks rawQuery, the query string of a request for path (escaped as
// for Presign), and returns the parameters it was issued with (X-Amz-*
// removed). Its error is an *S3Error as S3 answers a presigned URL: 403
// AccessDenied "Access Denied" without a signature, 400
// AuthorizationQueryParametersError for a malformed X-Amz-Date or
// X-Amz-Expires, 403 SignatureDoesNotMatch when the signature does not cover
// exactly this path and query, and 403 AccessDenied "Request has expired"
// once its lifetime has passed (a genuine URL at ServerTime >= Expires).
// Every code and message is S3's own for the same refusal; of the extra
// elements S3 adds, only the expired answer's (X-Amz-Expires, Expires,
// ServerTime) are kept: SignatureDoesNotMatch's StringToSign and
// CanonicalRequest would describe S3's scheme, not this one. The signature
// is checked before the expiry, and compared in constant time.
func (p *Presigner) Verify(path, rawQuery string) (url.Values, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil || len(q[presignSignature]) == 0 {
		return nil, errAccessDenied()
	}
	for _, v := range q {
		if len(v) != 1 { // never issued; its canonical form would be ambiguous
			return nil, errPresignMismatch()
		}
	}
	date, err := time.Parse(presignTimeFmt, q.Get(presignDate))
	if err != nil {
		return nil, &S3Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError",
			Message: `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`}
	}
	expires, err := strconv.Atoi(q.Get(presignExpires))
	switch {
	case err != nil:
		return nil, &S3Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError",
			Message: "X-Amz-Expires should be a number"}
	case expires < 0:
		return nil, &S3Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError",
			Message: "X-Amz-Expires must be non-negative"}
	case expires > maxPresignExpires:
		return nil, &S3Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError",
			Message: "X-Amz-Expires must be less than a week (in seconds) that is 604800"}
	}
	got, err := hex.DecodeString(q.Get(presignSignature))
	if err != nil {
		return nil, errPresignMismatch()
	}
	q.Del(presignSignature)
	if !hmac.Equal(got, p.mac(path, q.Encode())) {
		return nil, errPresignMismatch()
	}
	now := p.now().UTC()
	if end := date.Add(time.Duration(expires) * time.Second); !now.Before(end) {
		return nil, &S3Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Request has expired",
			Fields: [][2]string{{presignExpires, strconv.Itoa(expires)},
				{"Expires", end.Format(time.RFC3339)}, {"ServerTime", now.Format(time.RFC3339)}}}
	}
	q.Del(presignDate)
	q.Del(presignExpires)
	return q, nil
}

// mac is the signature of path with the canonical (sorted, escaped) query
// signed; neither can hold a newline, so the message is unambiguous.
func (p *Presigner) mac(path, signed string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("RESERVOIR-PRESIGN-HMAC-SHA256\n"))
	m.Write([]byte(path))
	m.Write([]byte("\n"))
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// S3's answers to presigned URLs it refuses (codes and messages as S3 sends
// them): a request without a signature, and one whose signature is not ours.
func errAccessDenied() *S3Error {
	return &S3Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"}
}

func errPresignMismatch() *S3Error {
	return &S3Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
		Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
}

// S3Error is an error in S3's REST-XML shape: <Error><Code/><Message/>, then
// Fields in order, then <RequestId/>. Presigned URLs answer with it, as S3
// does.
type S3Error struct {
	Status        int
	Code, Message string
	Fields        [][2]string // extra elements: name, text
}

func (e *S3Error) Error() string { return e.Code + ": " + e.Message }

// WriteS3Error writes e as S3 does.
func WriteS3Error(w http.ResponseWriter, r *http.Request, e *S3Error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	b.WriteString(xmlEscape(e.Code))
	b.WriteString("</Code><Message>")
	b.WriteString(xmlEscape(e.Message))
	b.WriteString("</Message>")
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "<%s>%s</%s>", f[0], xmlEscape(f[1]), f[0])
	}
	fmt.Fprintf(&b, "<RequestId>%s</RequestId></Error>", xmlEscape(RequestID(r.Context())))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String()))
}
