package lambda

import (
	"context"
	"crypto/sha256"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A function URL is a dedicated HTTP endpoint of the unqualified function or
// of one of its aliases (never of a numbered version). Its config lives in
// the function's record, so deleting the function or the alias deletes it.
// Its URL ID is derived from the account, region, function and qualifier, as
// AWS derives it deterministically: it is stable across restarts, and a URL
// deleted and created again gets the same address.

// Function URL auth types and invoke modes (the model's enums).
const (
	URLAuthNone   = "NONE"
	URLAuthIAM    = "AWS_IAM"
	InvokeModeBuf = "BUFFERED"
	// InvokeModeStream is accepted and stored; Reservoir answers such a URL
	// buffered, as one response, once the function has returned.
	InvokeModeStream = "RESPONSE_STREAM"
)

// URLIDLength is the length of a function URL's ID (AWS's is 32 characters
// of [a-z0-9]).
const URLIDLength = 32

// Cors is a function URL's cross-origin resource sharing settings.
type Cors struct {
	AllowCredentials *bool
	AllowHeaders     []string
	AllowMethods     []string
	AllowOrigins     []string
	ExposeHeaders    []string
	MaxAge           *int
}

func (c *Cors) clone() *Cors {
	if c == nil {
		return nil
	}
	out := &Cors{
		AllowHeaders: slices.Clone(c.AllowHeaders), AllowMethods: slices.Clone(c.AllowMethods),
		AllowOrigins: slices.Clone(c.AllowOrigins), ExposeHeaders: slices.Clone(c.ExposeHeaders),
	}
	if c.AllowCredentials != nil {
		b := *c.AllowCredentials
		out.AllowCredentials = &b
	}
	if c.MaxAge != nil {
		n := *c.MaxAge
		out.MaxAge = &n
	}
	return out
}

// empty reports whether c sets nothing: an empty Cors object removes the
// settings (Terraform sends one when a cors block is removed).
func (c *Cors) empty() bool {
	return c == nil || (c.AllowCredentials == nil && c.MaxAge == nil && len(c.AllowHeaders) == 0 &&
		len(c.AllowMethods) == 0 && len(c.AllowOrigins) == 0 && len(c.ExposeHeaders) == 0)
}

// FunctionURLConfig is one function URL.
type FunctionURLConfig struct {
	Qualifier        string // $LATEST (the unqualified function) or an alias name
	URLID            string
	AuthType         string // URLAuthNone or URLAuthIAM
	Cors             *Cors  // nil: no CORS settings
	InvokeMode       string // InvokeModeBuf or InvokeModeStream
	CreationTime     time.Time
	LastModifiedTime time.Time
}

func (c *FunctionURLConfig) clone() *FunctionURLConfig {
	out := *c
	out.Cors = c.Cors.clone()
	return &out
}

// FunctionURLInput is a Create or Update request. A nil member was not sent.
type FunctionURLInput struct {
	FunctionName string
	Qualifier    string
	AuthType     *string
	Cors         *Cors
	InvokeMode   *string
}

// FunctionURLView is a config as the API reports it.
type FunctionURLView struct {
	FunctionARN string // qualified with the alias, unqualified for $LATEST
	FunctionURLConfig
}

// AWS's sentences for function URLs.
const (
	msgURLNoFunction = "Function does not exist"
	msgURLNotFound   = "The resource you requested does not exist."
	// urlQualifierPattern is the pattern AWS's messages quote (botocore's
	// model has a narrower one without $LATEST).
	urlQualifierPattern = `(^\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))`
)

var urlAliasRE = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)

// Model limits of Cors.
const (
	maxCorsHeaders = 100
	maxCorsMethods = 6
	maxCorsOrigins = 100
	maxCorsMaxAge  = 86400
)

// NewURLID derives the URL ID of a function URL: 32 characters of [a-z0-9]
// from the SHA-256 of the account, region, function and qualifier.
func NewURLID(sc Scope, function, qualifier string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte("function-url\x00" + sc.Account + "\x00" + sc.Region + "\x00" + function + "\x00" + qualifier))
	var b [URLIDLength]byte
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b[:])
}

// urlTarget resolves FunctionName + Qualifier for the URL operations: the
// qualifier is "" or $LATEST (the unqualified function) or an alias name,
// never a version number.
func (s *Service) urlTarget(sc Scope, name, qualifier string) (FunctionRef, string, error) {
	ref, err := ParseFunctionName(name, nameWrite)
	if err != nil {
		return ref, "", err
	}
	q := qualifier
	if q == "" {
		q = ref.Qualifier
	}
	if q != "" {
		var v Validation
		v.Length(q, 1, 128, "qualifier")
		if isVersionNumber(q) || !(q == LatestVersion || urlAliasRE.MatchString(q)) {
			v.Add(Quote(q), "qualifier", "Member must satisfy regular expression pattern: "+urlQualifierPattern)
		}
		if err := v.Err(); err != nil {
			return ref, "", err
		}
	}
	ref, err = s.resolve(sc, name, qualifier, nameWrite)
	if err != nil {
		return ref, "", err
	}
	q = ref.Qualifier
	if q == "" {
		q = LatestVersion
	}
	return ref, q, nil
}

// urlARN is the FunctionArn a URL config reports.
func urlARN(sc Scope, name, q string) string {
	if q == LatestVersion {
		return sc.FunctionARN(name)
	}
	return sc.FunctionARN(name) + ":" + q
}

func validateURLInput(in *FunctionURLInput, create bool) error {
	var v Validation
	if create {
		v.Required(in.AuthType != nil, "authType")
	}
	if in.AuthType != nil && *in.AuthType != URLAuthNone && *in.AuthType != URLAuthIAM {
		v.Add(Quote(*in.AuthType), "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	}
	if in.InvokeMode != nil && *in.InvokeMode != InvokeModeBuf && *in.InvokeMode != InvokeModeStream {
		v.Add(Quote(*in.InvokeMode), "invokeMode", "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
	}
	if c := in.Cors; c != nil {
		list := func(items []string, field string, maxItems, maxLen, minLen int) {
			if len(items) > maxItems {
				v.Add("'["+strings.Join(items, ", ")+"]'", field, "Member must have length less than or equal to "+strconv.Itoa(maxItems))
			}
			for _, it := range items {
				v.Length(it, minLen, maxLen, field+".member")
			}
		}
		list(c.AllowHeaders, "cors.allowHeaders", maxCorsHeaders, 1024, 0)
		list(c.AllowMethods, "cors.allowMethods", maxCorsMethods, 6, 0)
		list(c.AllowOrigins, "cors.allowOrigins", maxCorsOrigins, 253, 1)
		list(c.ExposeHeaders, "cors.exposeHeaders", maxCorsHeaders, 1024, 0)
		v.MinInt(c.MaxAge, 0, "cors.maxAge")
		v.MaxInt(c.MaxAge, maxCorsMaxAge, "cors.maxAge")
	}
	return v.Err()
}

// CreateFunctionUrlConfig gives the function, or one of its aliases, a URL.
func (s *Service) CreateFunctionUrlConfig(ctx context.Context, sc Scope, in FunctionURLInput) (FunctionURLView, error) {
	if err := validateURLInput(&in, true); err != nil {
		return FunctionURLView{}, err
	}
	ref, q, err := s.urlTarget(sc, in.FunctionName, in.Qualifier)
	if err != nil {
		return FunctionURLView{}, err
	}
	arn := urlARN(sc, ref.Name, q)
	var stored *FunctionURLConfig
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return newErr(KindResourceNotFound, msgURLNoFunction) },
		func(fn *Function) (func(), func(*held), error) {
			if _, ok := fn.URLs[q]; ok {
				return nil, nil, newErr(KindResourceConflict,
					"Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", arn)
			}
			if q != LatestVersion {
				if _, ok := fn.Aliases[q]; !ok {
					return nil, nil, newErr(KindResourceNotFound, msgURLNoFunction)
				}
			}
			now := s.now()
			c := &FunctionURLConfig{Qualifier: q, URLID: NewURLID(sc, ref.Name, q), AuthType: *in.AuthType,
				InvokeMode: deref(in.InvokeMode, InvokeModeBuf), CreationTime: now, LastModifiedTime: now}
			if !in.Cors.empty() {
				c.Cors = in.Cors.clone()
			}
			if fn.URLs == nil {
				fn.URLs = map[string]*FunctionURLConfig{}
			}
			fn.URLs[q] = c
			stored = c
			return nil, nil, nil
		})
	if err != nil {
		return FunctionURLView{}, err
	}
	s.urls.add(stored.URLID, urlEntry{scope: sc, function: ref.Name, qualifier: q})
	return FunctionURLView{FunctionARN: arn, FunctionURLConfig: *stored.clone()}, nil
}

// UpdateFunctionUrlConfig changes the members sent of an existing URL: a
// Cors sent replaces the settings whole (an empty one removes them).
func (s *Service) UpdateFunctionUrlConfig(ctx context.Context, sc Scope, in FunctionURLInput) (FunctionURLView, error) {
	if err := validateURLInput(&in, false); err != nil {
		return FunctionURLView{}, err
	}
	ref, q, err := s.urlTarget(sc, in.FunctionName, in.Qualifier)
	if err != nil {
		return FunctionURLView{}, err
	}
	var stored *FunctionURLConfig
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return newErr(KindResourceNotFound, msgURLNoFunction) },
		func(fn *Function) (func(), func(*held), error) {
			if q != LatestVersion {
				if _, ok := fn.Aliases[q]; !ok {
					return nil, nil, newErr(KindResourceNotFound, msgURLNoFunction)
				}
			}
			old, ok := fn.URLs[q]
			if !ok {
				return nil, nil, newErr(KindResourceNotFound, msgURLNotFound)
			}
			c := old.clone()
			if in.AuthType != nil {
				c.AuthType = *in.AuthType
			}
			if in.InvokeMode != nil {
				c.InvokeMode = *in.InvokeMode
			}
			if in.Cors != nil {
				c.Cors = nil
				if !in.Cors.empty() {
					c.Cors = in.Cors.clone()
				}
			}
			c.LastModifiedTime = s.now()
			fn.URLs[q] = c
			stored = c
			return nil, nil, nil
		})
	if err != nil {
		return FunctionURLView{}, err
	}
	return FunctionURLView{FunctionARN: urlARN(sc, ref.Name, q), FunctionURLConfig: *stored.clone()}, nil
}

// GetFunctionUrlConfig returns a URL's config.
func (s *Service) GetFunctionUrlConfig(ctx context.Context, sc Scope, name, qualifier string) (FunctionURLView, error) {
	ref, q, err := s.urlTarget(sc, name, qualifier)
	if err != nil {
		return FunctionURLView{}, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return FunctionURLView{}, newErr(KindResourceNotFound, msgURLNotFound)
	}
	c, ok := fn.URLs[q]
	if !ok {
		return FunctionURLView{}, newErr(KindResourceNotFound, msgURLNotFound)
	}
	return FunctionURLView{FunctionARN: urlARN(sc, ref.Name, q), FunctionURLConfig: *c.clone()}, nil
}

// DeleteFunctionUrlConfig removes a URL; its address stops answering at once.
func (s *Service) DeleteFunctionUrlConfig(ctx context.Context, sc Scope, name, qualifier string) error {
	ref, q, err := s.urlTarget(sc, name, qualifier)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return newErr(KindResourceNotFound, msgURLNotFound) },
		func(fn *Function) (func(), func(*held), error) {
			if _, ok := fn.URLs[q]; !ok {
				return nil, nil, newErr(KindResourceNotFound, msgURLNotFound)
			}
			delete(fn.URLs, q)
			return nil, nil, nil
		})
	return err
}

// ListFunctionUrlConfigs lists a function's URLs: the unqualified
// function's first, then its aliases' by name.
func (s *Service) ListFunctionUrlConfigs(ctx context.Context, sc Scope, name, marker string, maxItems int) ([]FunctionURLView, string, error) {
	return listPerQualifier(s, sc, name, marker, maxItems, msgURLNoFunction,
		func(fn *Function) map[string]*FunctionURLConfig { return fn.URLs },
		func(fn *Function, q string, c *FunctionURLConfig) FunctionURLView {
			return FunctionURLView{FunctionARN: urlARN(sc, fn.Name, q), FunctionURLConfig: *c.clone()}
		})
}

// URLTarget is what a function URL invokes.
type URLTarget struct {
	Scope        Scope
	FunctionName string
	// Qualifier is "" for the unqualified function, else the alias name.
	Qualifier string
	Config    FunctionURLConfig
}

// ResolveFunctionURL finds the function URL with the given ID, as its
// function is now: a URL deleted, or of a function or alias deleted, is not
// found.
func (s *Service) ResolveFunctionURL(id string) (URLTarget, bool) {
	e, ok := s.urls.get(strings.ToLower(id))
	if !ok {
		return URLTarget{}, false
	}
	_, fn := s.lookup(e.scope, e.function)
	if fn == nil {
		return URLTarget{}, false
	}
	c, ok := fn.URLs[e.qualifier]
	if !ok || c.URLID != strings.ToLower(id) {
		return URLTarget{}, false
	}
	t := URLTarget{Scope: e.scope, FunctionName: fn.Name, Config: *c}
	if e.qualifier != LatestVersion {
		t.Qualifier = e.qualifier
	}
	return t, true
}

// urlEntry is where a URL ID points.
type urlEntry struct {
	scope     Scope
	function  string
	qualifier string
}

// urlIndex maps URL IDs to their functions. An entry may outlive its URL
// (the function, alias or URL deleted since): ResolveFunctionURL checks it
// against the function's current snapshot, and an ID is always derived from
// the same target, so a stale entry never points elsewhere.
type urlIndex struct {
	mu   sync.RWMutex
	byID map[string]urlEntry
}

func (x *urlIndex) add(id string, e urlEntry) {
	x.mu.Lock()
	if x.byID == nil {
		x.byID = map[string]urlEntry{}
	}
	x.byID[id] = e
	x.mu.Unlock()
}

func (x *urlIndex) get(id string) (urlEntry, bool) {
	x.mu.RLock()
	e, ok := x.byID[id]
	x.mu.RUnlock()
	return e, ok
}
