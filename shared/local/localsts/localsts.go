// Package localsts is a local AWS STS for a fleet's local stack: it answers AssumeRole on the
// wire the real aws-sdk-go-v2 STS client speaks (the Query protocol: a form POST, an XML
// answer; https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html), and it
// keeps what the local AWS needs to know of identities: which account (and principal) each
// access key ID stands for, so the local IVS and CloudWatch can serve each account apart.
//
// A role exists once AddRole makes it (the member template deploys it), and only its trusted
// principal may assume it, as the trust policy the member template writes allows only the home
// function's role: anyone else gets 403 AccessDenied, as STS answers. The credentials it issues
// are temporary in name only (an hour, never checked); requests are not authenticated beyond
// reading the access key ID of their Authorization header.
//
// A Server is safe for concurrent use.
package localsts

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Identity is who an access key ID stands for.
type Identity struct {
	Account   string // 12-digit account ID
	Principal string // the IAM ARN: a role, or an assumed-role session
}

// role is a role AddRole made.
type role struct {
	trusted string // the principal ARN allowed to assume it
}

// Server is a local STS. Build one with New.
type Server struct {
	mu    sync.Mutex
	keys  map[string]Identity // access key ID -> identity
	roles map[string]role     // role ARN -> role
	calls []Call
	now   func() time.Time
}

// Call is one AssumeRole the server answered, for a test or a timeline.
type Call struct {
	Caller  string // the caller's principal ARN ("" for an unknown access key)
	RoleARN string
	Allowed bool
}

// New returns an empty Server: no keys, no roles.
func New() *Server {
	return &Server{keys: map[string]Identity{}, roles: map[string]role{}, now: time.Now}
}

// AddKey makes the access key ID akid stand for id: the base credentials of a function (its
// execution role) or of a person of an account.
func (s *Server) AddKey(akid string, id Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[akid] = id
}

// AddRole creates the role roleARN (arn:aws:iam::<account>:role/<name>), which only the
// principal trusted may assume.
func (s *Server) AddRole(roleARN, trusted string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleARN] = role{trusted: trusted}
}

// IdentityOf returns who the access key ID akid stands for: a key given to AddKey, or one
// AssumeRole issued.
func (s *Server) IdentityOf(akid string) (Identity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.keys[akid]
	return id, ok
}

// Calls returns the AssumeRole calls answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// AccessKeyID returns the access key ID of a request's Authorization header (AWS Signature
// Version 4: "AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/<service>/aws4_request, ..."),
// and the region it was signed for; "" when it has none.
func AccessKeyID(r *http.Request) (akid, region string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[0], parts[2]
}

// ServeHTTP answers AssumeRole (and refuses every other action with InvalidAction).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Sender", "MalformedInput", "cannot read the request body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost {
		writeError(w, http.StatusBadRequest, "Sender", "MalformedInput", "want a form POST (the Query protocol)")
		return
	}
	if a := form.Get("Action"); a != "AssumeRole" {
		writeError(w, http.StatusBadRequest, "Sender", "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", a, form.Get("Version")))
		return
	}
	roleARN, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	if roleARN == "" || session == "" {
		writeError(w, http.StatusBadRequest, "Sender", "ValidationError", "RoleArn and RoleSessionName are required")
		return
	}
	akid, _ := AccessKeyID(r)
	s.mu.Lock()
	caller, known := s.keys[akid]
	ro, exists := s.roles[roleARN]
	allowed := known && exists && ro.trusted == caller.Principal
	s.calls = append(s.calls, Call{Caller: caller.Principal, RoleARN: roleARN, Allowed: allowed})
	var creds credentials
	if allowed {
		account := accountOf(roleARN)
		creds = credentials{AccessKeyID: "ASIA" + token(16), SecretAccessKey: token(40), SessionToken: token(64),
			Expiration: s.now().UTC().Add(time.Hour).Format(time.RFC3339)}
		s.keys[creds.AccessKeyID] = Identity{Account: account, Principal: assumedRoleARN(roleARN, session)}
	}
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusForbidden, "Sender", "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if !allowed {
		writeError(w, http.StatusForbidden, "Sender", "AccessDenied",
			fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.Principal, roleARN))
		return
	}
	out := assumeRoleResponse{}
	out.Result.Credentials = creds
	out.Result.AssumedRoleUser.Arn = assumedRoleARN(roleARN, session)
	out.Result.AssumedRoleUser.AssumedRoleID = "AROA" + token(17) + ":" + session
	out.Metadata.RequestID = token(32)
	w.Header().Set("Content-Type", "text/xml")
	b, _ := xml.Marshal(out)
	_, _ = w.Write(b)
}

// accountOf returns the account of an IAM ARN (arn:aws:iam::<account>:...).
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// assumedRoleARN is the ARN of a session of role: arn:aws:sts::<account>:assumed-role/<name>/<session>.
func assumedRoleARN(roleARN, session string) string {
	name := roleARN[strings.LastIndex(roleARN, "/")+1:]
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", accountOf(roleARN), name, session)
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// token returns n random characters of tokenChars.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = tokenChars[int(b[i])%len(tokenChars)]
	}
	return string(b)
}

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials credentials `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// writeError writes STS's Query protocol error: <ErrorResponse><Error>...</Error></ErrorResponse>.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	var e struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}
	e.Error.Type, e.Error.Code, e.Error.Message, e.RequestID = typ, code, msg, token(32)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	b, _ := xml.Marshal(e)
	_, _ = w.Write(b)
}
