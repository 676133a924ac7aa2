package lambda

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/google/uuid"
)

// conditionSuccess is the invocation record's condition for an event its
// function ran without error (the failures use the Drop reasons AWS names:
// RetriesExhausted, EventAgeExceeded).
const conditionSuccess = "Success"

// InvocationRecord is what a destination receives about an asynchronous
// invocation, in AWS's format (version 1.0).
type InvocationRecord struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  RecordRequest    `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *RecordResponse  `json:"responseContext,omitempty"`
	ResponsePayload *json.RawMessage `json:"responsePayload,omitempty"`
}

// RecordRequest is an invocation record's requestContext.
type RecordRequest struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"` // qualified: $LATEST, a version or an alias
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// RecordResponse is an invocation record's responseContext.
type RecordResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// asJSON returns b when it is JSON, else b as a JSON string (a payload
// that is not JSON still reaches the destination).
func asJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b)) // a Go string always encodes
	return s
}

// record builds the invocation record of ev's outcome; res is the last
// attempt's result (nil when the event never ran to an end).
func (q *asyncQueue) record(ev asyncEvent, condition string, res *InvocationResult) (InvocationRecord, bool) {
	ref, err := q.s.resolve(ev.rec.Scope, ev.rec.FunctionName, ev.rec.Qualifier, nameRead)
	if err != nil {
		return InvocationRecord{}, false
	}
	qual := ref.Qualifier
	if qual == "" {
		qual = LatestVersion
	}
	rec := InvocationRecord{
		Version:   "1.0",
		Timestamp: q.s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: RecordRequest{RequestID: ev.rec.RequestID, FunctionARN: ev.rec.Scope.FunctionARN(ref.Name) + ":" + qual,
			Condition: condition, ApproximateInvokeCount: ev.rec.Attempts},
		RequestPayload: asJSON(ev.rec.Payload),
	}
	if res != nil {
		rec.RequestContext.ApproximateInvokeCount++
		rec.ResponseContext = &RecordResponse{StatusCode: 200, ExecutedVersion: res.ExecutedVersion, FunctionError: res.FunctionError}
		p := asJSON(res.Payload)
		rec.ResponsePayload = &p
	}
	return rec, true
}

// deliver sends the record of ev's outcome to the function destination
// dest ("" sends nothing) as a new asynchronous event. The record is stored
// before ev leaves the store, so a crash in between sends it again rather
// than never (at least once, as AWS delivers); it then runs through the
// same queue, admission and retries as any Event invocation.
func (q *asyncQueue) deliver(ev asyncEvent, log *slog.Logger, dest, condition string, res *InvocationResult) {
	if dest == "" {
		return
	}
	rec, ok := q.record(ev, condition, res)
	if !ok {
		return
	}
	payload, err := json.Marshal(rec)
	if err != nil {
		log.Error("invocation record not encoded", "err", err)
		return
	}
	ref, err := q.s.resolve(ev.rec.Scope, dest, "", nameRead)
	if err != nil {
		log.Warn("destination not delivered: its ARN no longer parses", "destination", dest, "err", err)
		return
	}
	out := AsyncEvent{Scope: ev.rec.Scope, RequestID: uuid.NewString(), FunctionName: dest,
		Payload: payload, Received: q.s.now()}
	if len(payload) > MaxAsyncPayload {
		log.Warn("destination not delivered: the invocation record is over the Event payload limit", "destination", dest, "bytes", len(payload))
		return
	}
	if err := q.s.store.SaveAsyncEvent(context.Background(), out); err != nil {
		log.Warn("destination not delivered: its event could not be stored", "destination", dest, "err", err)
		return
	}
	q.s.observer.AsyncReceived(ev.rec.Scope, ref.Name, ref.Qualifier)
	log.Debug("invocation record sent to its destination", "destination", dest, "condition", condition, "destination_request_id", out.RequestID)
	_ = q.enqueue(asyncEvent{rec: out}) // closed: stored, it runs after the next start
}
