package logs

import (
	"strings"
	"time"
)

// Scope isolates resources: one AWS account in one region. Nothing in one
// scope sees or touches another's groups.
type Scope struct {
	Account string
	Region  string
}

// GroupARN is the ARN DescribeLogGroups reports as arn: the group's ARN
// followed by ":*", the form IAM policies use.
func (s Scope) GroupARN(name string) string { return s.GroupTagARN(name) + ":*" }

// GroupTagARN is the ARN without the trailing ":*" (DescribeLogGroups'
// logGroupArn), the form TagResource, UntagResource and ListTagsForResource
// take.
func (s Scope) GroupTagARN(name string) string {
	return "arn:aws:logs:" + s.Region + ":" + s.Account + ":log-group:" + name
}

// StreamARN is a log stream's ARN as DescribeLogStreams reports it.
func (s Scope) StreamARN(group, stream string) string {
	return s.GroupTagARN(group) + ":log-stream:" + stream
}

// GroupClass is a log group's class, fixed at creation.
type GroupClass string

// The log group classes of botocore's LogGroupClass enum.
const (
	ClassStandard         GroupClass = "STANDARD"
	ClassInfrequentAccess GroupClass = "INFREQUENT_ACCESS"
	ClassDelivery         GroupClass = "DELIVERY"
)

func validClass(c GroupClass) bool {
	return c == ClassStandard || c == ClassInfrequentAccess || c == ClassDelivery
}

// Group is a log group's durable configuration. Its streams and events are
// kept apart (Stream, the store's event keys).
type Group struct {
	Scope Scope
	Name  string
	// CreationTime is in milliseconds since the Unix epoch, as the API
	// reports every time.
	CreationTime int64
	// RetentionDays is one of RetentionPeriods, or 0: events never expire.
	RetentionDays int
	KMSKeyID      string
	Class         GroupClass
	Tags          map[string]string
}

// Stream is a log stream and the figures its events add up to. The store
// keeps the figures in step with the events it holds.
type Stream struct {
	Name         string
	CreationTime int64
	// Events and StoredBytes count the events stored now (see EventSize).
	Events      int64
	StoredBytes int64
	// FirstEventTimestamp and LastEventTimestamp are the smallest and the
	// largest timestamp stored; LastIngestionTime is when the last event
	// arrived. All three mean something only when Events > 0 (an emptied
	// stream keeps its last ones).
	FirstEventTimestamp int64
	LastEventTimestamp  int64
	LastIngestionTime   int64
}

// StoredGroup is a group with its streams, as the store loads them.
type StoredGroup struct {
	Group   Group
	Streams []Stream
}

// InputEvent is one event of a PutLogEvents batch or of an ingested batch.
type InputEvent struct {
	// Timestamp is when the event happened, in milliseconds since the epoch.
	Timestamp int64
	Message   string
}

// EventSize is what an event counts against PutLogEvents' batch limit and
// towards storedBytes: its message in UTF-8 plus 26 bytes, AWS's accounting.
func EventSize(message string) int64 { return int64(len(message)) + eventOverhead }

const eventOverhead = 26

// RetentionPeriods returns the retention periods, in days, that
// PutRetentionPolicy accepts (botocore's Days documentation), in increasing
// order.
func RetentionPeriods() []int {
	return []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
}

// Millis converts t to the API's milliseconds since the epoch.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// groupKey indexes a group in memory: names are case-sensitive on AWS.
type groupKey struct {
	scope Scope
	name  string
}

// parseGroupARN returns the group name of a log group ARN of scope
// ("arn:aws:logs:<region>:<account>:log-group:<name>", no ":*"); ok is false
// when arn is no such ARN or names another scope.
func parseGroupARN(scope Scope, arn string) (name string, ok bool) {
	prefix := "arn:aws:logs:" + scope.Region + ":" + scope.Account + ":log-group:"
	if !strings.HasPrefix(arn, prefix) {
		return "", false
	}
	name = arn[len(prefix):]
	if name == "" || strings.Contains(name, ":") {
		return "", false
	}
	return name, true
}
