package logs

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The model's limits (botocore logs 2014-03-28).
const (
	maxNameLen        = 512  // LogGroupName, LogStreamName
	maxIdentifierLen  = 2048 // LogGroupIdentifier
	maxKMSKeyIDLen    = 256
	maxARNLen         = 1011 // AmazonResourceName
	maxTags           = 50
	maxTagKeyLen      = 128
	maxTagValueLen    = 256
	maxDescribeLimit  = 50    // DescribeLimit
	maxEventsLimit    = 10000 // EventsLimit
	maxPatternLen     = 1024  // FilterPattern
	maxStreamNames    = 100   // InputLogStreamNames
	maxIdentifiers    = 50    // DescribeLogGroupsLogGroupIdentifiers
	maxBatchEvents    = 10000 // InputLogEvents
	maxBatchBytes     = 1048576
	maxEventBytes     = 1048576 // "Each log event can be no larger than 1 MB", counted as EventSize
	defaultDescribeLn = 50
)

// The model's patterns, as AWS quotes them in validation messages.
const (
	patGroupName  = `[\.\-_/#A-Za-z0-9]+`
	patGroupNameP = `[\.\-_/#A-Za-z0-9]*` // LogGroupNamePattern
	patStreamName = `[^:*]*`
	patIdentifier = `[\w#+=/:,.@-]*`
	patARN        = `[\w+=/:,.@-]*`
	patTagKey     = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`
	patTagValue   = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
)

func length(s string) int { return utf8.RuneCountInString(s) }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func allBytes(s string, ok func(c byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func groupNameByte(c byte) bool { return isWordByte(c) || strings.IndexByte(".-/#", c) >= 0 }
func identifierByte(c byte) bool {
	return isWordByte(c) || strings.IndexByte("#+=/:,.@-", c) >= 0
}
func arnByte(c byte) bool { return isWordByte(c) || strings.IndexByte("+=/:,.@-", c) >= 0 }

// checkGroupName adds the violations of a required LogGroupName.
func (v *violations) checkGroupName(member, name string) {
	if n := length(name); n < 1 {
		v.add(member, cMinLen, 1)
	} else if n > maxNameLen {
		v.add(member, cMaxLen, maxNameLen)
	}
	if name == "" || !allBytes(name, groupNameByte) {
		v.add(member, cPattern, patGroupName)
	}
}

// checkOptionalGroupName is checkGroupName for a member that may be absent
// (""): a prefix.
func (v *violations) checkOptionalGroupName(member, name string) {
	if name != "" {
		v.checkGroupName(member, name)
	}
}

// checkStreamName adds the violations of a required LogStreamName.
func (v *violations) checkStreamName(member, name string) {
	if n := length(name); n < 1 {
		v.add(member, cMinLen, 1)
	} else if n > maxNameLen {
		v.add(member, cMaxLen, maxNameLen)
	}
	if strings.ContainsAny(name, ":*") {
		v.add(member, cPattern, patStreamName)
	}
}

// checkLimit adds the violations of an optional limit member.
func (v *violations) checkLimit(member string, limit *int, max int) {
	if limit == nil {
		return
	}
	if *limit < 1 {
		v.add(member, cMinValue, 1)
	} else if *limit > max {
		v.add(member, cMaxValue, max)
	}
}

func (v *violations) checkTimestamp(member string, ts *int64) {
	if ts != nil && *ts < 0 {
		v.add(member, cMinValue, 0)
	}
}

func (v *violations) checkToken(member, token string, present bool) {
	if present && token == "" {
		v.add(member, cMinLen, 1)
	}
}

// checkTags adds the violations of a Tags map (1 to 50 entries; keys and
// values of the model's lengths and character classes).
func (v *violations) checkTags(member string, tags map[string]string) {
	if len(tags) > maxTags {
		v.add(member, cMaxLen, maxTags)
	}
	var keyBad, valueBad []string
	seenKey, seenValue := map[string]bool{}, map[string]bool{}
	note := func(list *[]string, seen map[string]bool, c string) {
		if !seen[c] {
			seen[c] = true
			*list = append(*list, c)
		}
	}
	for k, val := range tags {
		if n := length(k); n < 1 {
			note(&keyBad, seenKey, "Member must have length greater than or equal to 1")
		} else if n > maxTagKeyLen {
			note(&keyBad, seenKey, "Member must have length less than or equal to 128")
		}
		if k == "" || !tagChars(k) {
			note(&keyBad, seenKey, "Member must satisfy regular expression pattern: "+patTagKey)
		}
		if length(val) > maxTagValueLen {
			note(&valueBad, seenValue, "Member must have length less than or equal to 256")
		}
		if !tagChars(val) {
			note(&valueBad, seenValue, "Member must satisfy regular expression pattern: "+patTagValue)
		}
	}
	// AWS reports map entries as one constraint on the map.
	if len(keyBad) > 0 {
		v.add(member, "Map keys must satisfy constraint: [%s]", strings.Join(slices.Sorted(slices.Values(keyBad)), ", "))
	}
	if len(valueBad) > 0 {
		v.add(member, "Map value must satisfy constraint: [%s]", strings.Join(slices.Sorted(slices.Values(valueBad)), ", "))
	}
}

// tagChars reports whether s uses only [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.In(r, unicode.Z) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// checkTagKeys adds the violations of a list of tag keys.
func (v *violations) checkTagKeys(member string, keys []string, min int) {
	if len(keys) < min {
		v.add(member, cMinLen, min)
	}
	if len(keys) > maxTags {
		v.add(member, cMaxLen, maxTags)
	}
	for i, k := range keys {
		m := member + "." + strconv.Itoa(i+1) + ".member"
		if n := length(k); n < 1 {
			v.add(m, cMinLen, 1)
		} else if n > maxTagKeyLen {
			v.add(m, cMaxLen, maxTagKeyLen)
		}
		if k == "" || !tagChars(k) {
			v.add(m, cPattern, patTagKey)
		}
	}
}

// checkARN adds the violations of an AmazonResourceName.
func (v *violations) checkARN(member, arn string) {
	if n := length(arn); n < 1 {
		v.add(member, cMinLen, 1)
	} else if n > maxARNLen {
		v.add(member, cMaxLen, maxARNLen)
	}
	if !allBytes(arn, arnByte) {
		v.add(member, cPattern, patARN)
	}
}

func retentionAllowed(days int) bool { return slices.Contains(RetentionPeriods(), days) }

func retentionEnum() string {
	days := RetentionPeriods()
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ", ")
}
