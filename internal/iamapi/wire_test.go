package iamapi_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/iamapi"
)

type rawResponse struct {
	status    int
	body      string
	requestID string
	ctype     string
}

func do(t *testing.T, h http.Handler, method, target, contentType, body string) rawResponse {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rawResponse{rec.Code, rec.Body.String(), rec.Header().Get("X-Amzn-Requestid"), rec.Header().Get("Content-Type")}
}

const form = "application/x-www-form-urlencoded; charset=utf-8"

func newHandler(t *testing.T, accountFor func(*http.Request) string) (http.Handler, *syncBuffer) {
	t.Helper()
	svc, err := iam.NewService(context.Background(), &memStore{roles: make(map[string]iam.Role)}, testClock)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	return iamapi.NewHandler(svc, accountFor, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), logs
}

func fixedAccount(*http.Request) string { return acct }

type errorEnvelope struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Namespace string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func TestWireExactCreateRoleResponse(t *testing.T) {
	h, _ := newHandler(t, fixedAccount)
	r := do(t, h, http.MethodPost, "/", form, "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument="+url.QueryEscape(`{"Statement": []}`))
	if r.status != http.StatusOK || r.ctype != "text/xml" {
		t.Fatalf("status %d, content type %q: %s", r.status, r.ctype, r.body)
	}
	id := regexp.MustCompile(`<RoleId>(AROA[A-Z0-9]{17})</RoleId>`).FindStringSubmatch(r.body)
	if id == nil {
		t.Fatalf("no role ID in %s", r.body)
	}
	want := `<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role>` +
		`<Path>/</Path><RoleName>r</RoleName><RoleId>` + id[1] + `</RoleId><Arn>arn:aws:iam::123456789012:role/r</Arn>` +
		`<CreateDate>2024-05-06T07:08:09Z</CreateDate>` +
		`<AssumeRolePolicyDocument>%7B%22Statement%22%3A%20%5B%5D%7D</AssumeRolePolicyDocument>` +
		`<MaxSessionDuration>3600</MaxSessionDuration></Role></CreateRoleResult>` +
		`<ResponseMetadata><RequestId>` + r.requestID + `</RequestId></ResponseMetadata></CreateRoleResponse>`
	if r.body != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
}

func TestWireExactErrorResponse(t *testing.T) {
	h, _ := newHandler(t, fixedAccount)
	r := do(t, h, http.MethodPost, "/", form, "Action=Frobnicate&Version=2010-05-08")
	want := `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
		`<Message>Could not find operation Frobnicate for version 2010-05-08</Message></Error><RequestId>` + r.requestID + `</RequestId></ErrorResponse>`
	if r.status != http.StatusBadRequest || r.body != want {
		t.Errorf("status %d body\n got %s\nwant %s", r.status, r.body, want)
	}
}

func TestWireRequests(t *testing.T) {
	const iamNS, stsNS = "https://iam.amazonaws.com/doc/2010-05-08/", "https://sts.amazonaws.com/doc/2011-06-15/"
	tests := []struct {
		name, method, target, ctype, body string
		status                            int
		ns                                string
		code                              string // error code; "" for success
		msg                               string
		contains                          []string // in a successful body
	}{
		{name: "sts unknown action", method: "POST", target: "/", ctype: form, body: "Action=AssumeRole&Version=2011-06-15",
			status: 400, ns: stsNS, code: "InvalidAction", msg: "Could not find operation AssumeRole for version 2011-06-15"},
		{name: "unknown action without version", method: "POST", target: "/", ctype: form, body: "Action=Frobnicate",
			status: 400, ns: iamNS, code: "InvalidAction", msg: "Could not find operation Frobnicate for version 2010-05-08"},
		{name: "iam action under the sts version", method: "POST", target: "/", ctype: form, body: "Action=GetRole&Version=2011-06-15&RoleName=x",
			status: 400, ns: stsNS, code: "InvalidAction", msg: "Could not find operation GetRole for version 2011-06-15"},
		{name: "caller identity by GET", method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15",
			status: 200, ns: stsNS, contains: []string{"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult>"}},
		{name: "caller identity without version", method: "POST", target: "/", ctype: form, body: "Action=GetCallerIdentity",
			status: 200, ns: stsNS, contains: []string{"<Account>123456789012</Account>"}},
		{name: "no content type", method: "POST", target: "/", body: "Action=ListRoles&Version=2010-05-08",
			status: 200, ns: iamNS, contains: []string{"<ListRolesResult><Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult>"}},
		{name: "body overrides query", method: "POST", target: "/?Action=Frobnicate", ctype: form, body: "Action=ListRoles&Version=2010-05-08",
			status: 200, ns: iamNS, contains: []string{"<ListRolesResponse"}},
		{name: "missing action", method: "POST", target: "/", ctype: form, body: "Version=2010-05-08",
			status: 400, ns: iamNS, code: "MissingAction"},
		{name: "bad escape", method: "POST", target: "/", ctype: form, body: "Action=ListRoles&RoleName=%zz",
			status: 400, ns: iamNS, code: "MalformedQueryString"},
		{name: "bad escape in query", method: "GET", target: "/?Action=%zz",
			status: 400, ns: iamNS, code: "MalformedQueryString"},
		{name: "method", method: "PUT", target: "/", ctype: form, body: "Action=ListRoles",
			status: 405, ns: iamNS, code: "MethodNotAllowed"},
		{name: "body too large", method: "POST", target: "/", ctype: form, body: "Action=ListRoles&Version=2010-05-08&Pad=" + strings.Repeat("a", iamapi.MaxBodyBytes),
			status: 413, ns: iamNS, code: "RequestEntityTooLarge"},
		{name: "max items not a number", method: "POST", target: "/", ctype: form, body: "Action=ListRoles&Version=2010-05-08&MaxItems=ten",
			status: 400, ns: iamNS, code: "ValidationError",
			msg: "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be an integer"},
		{name: "max items too big", method: "POST", target: "/", ctype: form, body: "Action=ListRoles&Version=2010-05-08&MaxItems=5000",
			status: 400, ns: iamNS, code: "ValidationError"},
		{name: "missing role name", method: "POST", target: "/", ctype: form, body: "Action=GetRole&Version=2010-05-08",
			status: 400, ns: iamNS, code: "ValidationError",
			msg: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"},
		{name: "description required", method: "POST", target: "/", ctype: form, body: "Action=UpdateRoleDescription&Version=2010-05-08&RoleName=x",
			status: 400, ns: iamNS, code: "ValidationError",
			msg: "1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null"},
		{name: "tag list out of order with junk", method: "POST", target: "/", ctype: form,
			body: "Action=CreateRole&Version=2010-05-08&RoleName=t&AssumeRolePolicyDocument=" + url.QueryEscape(trust) +
				"&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.0.Key=zero&Tags.member.x.Key=y&Tags.member.99999999999999999999.Key=big",
			status: 200, ns: iamNS, contains: []string{"<Tags><member><Key>a</Key><Value>1</Value></member><member><Key>b</Key><Value>2</Value></member></Tags>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t, fixedAccount)
			r := do(t, h, tt.method, tt.target, tt.ctype, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r.requestID) {
				t.Errorf("request ID header %q", r.requestID)
			}
			if tt.code == "" {
				if !strings.Contains(r.body, `xmlns="`+tt.ns+`"`) || !strings.Contains(r.body, "<RequestId>"+r.requestID+"</RequestId>") {
					t.Errorf("namespace or request ID missing: %s", r.body)
				}
				for _, s := range tt.contains {
					if !strings.Contains(r.body, s) {
						t.Errorf("body lacks %s:\n%s", s, r.body)
					}
				}
				return
			}
			var e errorEnvelope
			if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
				t.Fatalf("error body %q: %v", r.body, err)
			}
			if e.Namespace != tt.ns || e.Code != tt.code || e.Type != "Sender" || e.RequestID != r.requestID || (tt.msg != "" && e.Message != tt.msg) {
				t.Errorf("error %+v, want ns %s code %s msg %q", e, tt.ns, tt.code, tt.msg)
			}
		})
	}
}

func TestWireEmptyListsArePresent(t *testing.T) {
	h, _ := newHandler(t, fixedAccount)
	if r := do(t, h, "POST", "/", form, "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument="+url.QueryEscape(trust)); r.status != 200 {
		t.Fatal(r.body)
	}
	for _, c := range []struct{ action, want string }{
		{"ListRolePolicies", "<ListRolePoliciesResult><PolicyNames></PolicyNames><IsTruncated>false</IsTruncated></ListRolePoliciesResult>"},
		{"ListAttachedRolePolicies", "<ListAttachedRolePoliciesResult><AttachedPolicies></AttachedPolicies><IsTruncated>false</IsTruncated></ListAttachedRolePoliciesResult>"},
		{"ListInstanceProfilesForRole", "<ListInstanceProfilesForRoleResult><InstanceProfiles></InstanceProfiles><IsTruncated>false</IsTruncated></ListInstanceProfilesForRoleResult>"},
		{"ListRoleTags", "<ListRoleTagsResult><Tags></Tags><IsTruncated>false</IsTruncated></ListRoleTagsResult>"},
		{"DeleteRole", `<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata>`}, // last: it deletes
	} {
		action, want := c.action, c.want
		r := do(t, h, "POST", "/", form, "Action="+action+"&Version=2010-05-08&RoleName=r")
		if r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("%s: status %d body %s, want it to contain %s", action, r.status, r.body, want)
		}
	}
}

func TestWireNoAccountIsServerError(t *testing.T) {
	h, logs := newHandler(t, func(*http.Request) string { return "" })
	r := do(t, h, "POST", "/", form, "Action=ListRoles&Version=2010-05-08")
	var e errorEnvelope
	if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatal(err)
	}
	if r.status != 500 || e.Code != "ServiceFailure" || e.Type != "Receiver" || strings.Contains(e.Message, "account") {
		t.Errorf("status %d error %+v", r.status, e)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("not logged as an error:\n%s", logs.String())
	}

	nilAccountFor, _ := newHandler(t, nil)
	if r := do(t, nilAccountFor, "POST", "/", form, "Action=ListRoles&Version=2010-05-08"); r.status != 500 {
		t.Errorf("nil accountFor: status %d", r.status)
	}
}

func TestWireNilLogger(t *testing.T) {
	svc, err := iam.NewService(context.Background(), &memStore{roles: make(map[string]iam.Role)}, testClock)
	if err != nil {
		t.Fatal(err)
	}
	h := iamapi.NewHandler(svc, fixedAccount, nil)
	if r := do(t, h, "POST", "/", form, "Action=Nope"); r.status != 400 {
		t.Errorf("status %d", r.status)
	}
}

// FuzzHandler feeds arbitrary bodies to the handler: it must never panic, fail
// with a server error (the store here never fails) or answer anything but XML.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{
		"", "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%5D%7D",
		"Action=TagRole&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=UntagRole&RoleName=r&TagKeys.member.1=k",
		"Action=ListRoles&MaxItems=1&Marker=abc", "Action=GetCallerIdentity", "Action=AttachRolePolicy&RoleName=r&PolicyArn=arn:aws:iam::aws:policy/x",
		"Action=PutRolePolicy&RoleName=r&PolicyName=p&PolicyDocument=%7B%7D", "Action=ListRoleTags&RoleName=r&MaxItems=-1",
		"Action=UpdateRole&RoleName=r&MaxSessionDuration=99999999999999999999", "%", "a=%zz", "Action=GetRole&RoleName=%FF%FE",
	} {
		f.Add(s)
	}
	svc, err := iam.NewService(context.Background(), &memStore{roles: make(map[string]iam.Role)}, testClock)
	if err != nil {
		f.Fatal(err)
	}
	h := iamapi.NewHandler(svc, fixedAccount, slog.New(slog.DiscardHandler))
	if _, err := svc.CreateRole(context.Background(), acct, iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := do(t, h, "POST", "/", form, body)
		if r.status >= 500 {
			t.Fatalf("status %d for %q: %s", r.status, body, r.body)
		}
		dec := xml.NewDecoder(strings.NewReader(r.body))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("response to %q is not XML (%v): %s", body, err, r.body)
			}
		}
	})
}
