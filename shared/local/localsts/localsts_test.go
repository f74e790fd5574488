package localsts_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localsts"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

const (
	home     = "123456789012"
	member   = "210987654321"
	roleARN  = "arn:aws:iam::" + member + ":role/ivs-sessions-enrich-eu-west-1"
	trusted  = "arn:aws:iam::" + home + ":role/ivs-sessions-enrich-us-west-2"
	stranger = "arn:aws:iam::" + home + ":role/someone-else"
)

func client(t *testing.T, srv *httptest.Server, akid string) *sts.Client {
	t.Helper()
	return sts.New(sts.Options{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(akid, "secret", ""), HTTPClient: sdkhttp.New()})
}

// TestAssumeRole: the real STS client assumes a role its principal is trusted by and gets
// credentials that stand for the role's account; any other principal, an unknown role or an
// unknown key is refused as STS refuses them.
func TestAssumeRole(t *testing.T) {
	s := localsts.New()
	s.AddKey("AKIDENRICH", localsts.Identity{Account: home, Principal: trusted})
	s.AddKey("AKIDOTHER", localsts.Identity{Account: home, Principal: stranger})
	s.AddRole(roleARN, trusted)
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := context.Background()

	out, err := client(t, srv, "AKIDENRICH").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ivs-sessions-enrich")})
	if err != nil {
		t.Fatalf("AssumeRole by the trusted principal: %v", err)
	}
	akid := aws.ToString(out.Credentials.AccessKeyId)
	if !strings.HasPrefix(akid, "ASIA") || aws.ToString(out.Credentials.SecretAccessKey) == "" || aws.ToString(out.Credentials.SessionToken) == "" || out.Credentials.Expiration == nil {
		t.Errorf("credentials %+v", out.Credentials)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+member+":assumed-role/ivs-sessions-enrich-eu-west-1/ivs-sessions-enrich" {
		t.Errorf("assumed role user %s", got)
	}
	if id, ok := s.IdentityOf(akid); !ok || id.Account != member {
		t.Errorf("the issued key stands for %+v, %v; want account %s", id, ok, member)
	}

	for name, c := range map[string]struct{ akid, role, code string }{
		"untrusted principal": {"AKIDOTHER", roleARN, "AccessDenied"},
		"no such role":        {"AKIDENRICH", "arn:aws:iam::" + member + ":role/nope", "AccessDenied"},
		"unknown key":         {"AKIDNOBODY", roleARN, "InvalidClientTokenId"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client(t, srv, c.akid).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(c.role), RoleSessionName: aws.String("x")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code {
				t.Fatalf("AssumeRole: %v, want %s", err, c.code)
			}
		})
	}
	calls := s.Calls()
	if len(calls) != 4 || !calls[0].Allowed || calls[1].Allowed {
		t.Errorf("calls %+v", calls)
	}
}
