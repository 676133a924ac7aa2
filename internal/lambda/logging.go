package lambda

import (
	"regexp"
	"slices"
	"strings"
)

// LoggingInput is the LoggingConfig member of CreateFunction and
// UpdateFunctionConfiguration; nil pointers are members the request did not
// send.
type LoggingInput struct {
	LogFormat, ApplicationLogLevel, SystemLogLevel, LogGroup *string
}

// The enums and the LogGroup constraints of botocore's Lambda model.
var (
	logFormats          = []string{string(LogFormatJSON), string(LogFormatText)}
	applicationLogLevel = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	systemLogLevels     = []string{"DEBUG", "INFO", "WARN"}
)

const (
	logGroupPattern = `[\.\-_/#A-Za-z0-9]+`
	maxLogGroupLen  = 512
	// defaultLogLevel is what AWS answers for a level JSON was chosen without.
	defaultLogLevel = "INFO"
)

var logGroupRE = regexp.MustCompile(`^` + logGroupPattern + `$`)

// msgLogLevelWithText is AWS's answer to a log level with the Text format.
const msgLogLevelWithText = `LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.`

// validateLogging checks the model's constraints on a LoggingConfig.
func validateLogging(in *LoggingInput, v *Validation) {
	if in == nil {
		return
	}
	enum := func(p *string, values []string, field string) {
		if p != nil && !slices.Contains(values, *p) {
			v.Add(Quote(*p), field, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
		}
	}
	enum(in.LogFormat, logFormats, "loggingConfig.logFormat")
	enum(in.ApplicationLogLevel, applicationLogLevel, "loggingConfig.applicationLogLevel")
	enum(in.SystemLogLevel, systemLogLevels, "loggingConfig.systemLogLevel")
	if g := in.LogGroup; g != nil {
		v.Length(*g, 1, maxLogGroupLen, "loggingConfig.logGroup")
		if *g != "" && !logGroupRE.MatchString(*g) {
			v.Add(Quote(*g), "loggingConfig.logGroup", "Member must satisfy regular expression pattern: "+logGroupPattern)
		}
	}
}

// resolveLogging applies a request's LoggingConfig to the current one (the
// zero Logging when creating): members the request leaves out keep their
// values, levels go with the Text format and default to INFO with JSON.
func resolveLogging(cur Logging, in *LoggingInput) (Logging, error) {
	if in == nil {
		return cur, nil
	}
	out := cur
	if in.LogFormat != nil {
		out.Format = LogFormat(*in.LogFormat)
	}
	if in.LogGroup != nil {
		out.LogGroup = *in.LogGroup
	}
	if out.LogFormat() == LogFormatText {
		if in.ApplicationLogLevel != nil || in.SystemLogLevel != nil {
			return Logging{}, newErr(KindInvalidParameterValue, msgLogLevelWithText)
		}
		out.Format, out.ApplicationLogLevel, out.SystemLogLevel = LogFormatText, "", ""
		return out, nil
	}
	level := func(req *string, have string) string {
		switch {
		case req != nil:
			return *req
		case have != "":
			return have
		}
		return defaultLogLevel
	}
	out.ApplicationLogLevel = level(in.ApplicationLogLevel, out.ApplicationLogLevel)
	out.SystemLogLevel = level(in.SystemLogLevel, out.SystemLogLevel)
	return out, nil
}
