package ivsquota

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const channelARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"

// server answers GetChannel, throttling the first `throttle` requests like IVS does.
func server(t *testing.T, throttle int) (*httptest.Server, *[]time.Time) {
	t.Helper()
	var mu sync.Mutex
	var seen []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, time.Now())
		n := len(seen)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n <= throttle {
			w.Header().Set("x-amzn-ErrorType", "ThrottlingException")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"exceptionMessage":"Request was denied due to request throttling."}`))
			return
		}
		w.Write([]byte(`{"channel":{"arn":"` + channelARN + `","type":"STANDARD"}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func client(srv *httptest.Server, p *Pacer, attempts int) *ivs.Client {
	return ivs.New(ivs.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
		HTTPClient:   sdkhttp.New(),
	}, p.ClientOptions(attempts), func(o *ivs.Options) {
		// Keep the test fast: the real backoff is seconds.
		o.Retryer = retryerWithBackoff(o.Retryer)
	})
}

func TestThrottlesAreRetriedAndCounted(t *testing.T) {
	srv, seen := server(t, 2)
	p := NewPacer(0)
	c := client(srv, p, 0)
	out, err := c.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(channelARN)})
	if err != nil {
		t.Fatalf("GetChannel after 2 throttles: %v", err)
	}
	if aws.ToString(out.Channel.Arn) != channelARN {
		t.Errorf("channel ARN = %q", aws.ToString(out.Channel.Arn))
	}
	if len(*seen) != 3 || p.Throttles() != 2 {
		t.Errorf("requests = %d, throttles = %d; want 3, 2", len(*seen), p.Throttles())
	}
}

func TestReport(t *testing.T) {
	var out bytes.Buffer
	rec := metrics.New(suite.MetricNamespace, &out)
	srv, _ := server(t, 2)
	p := NewPacer(0)
	c := client(srv, p, 0)
	dim := metrics.Dim{Name: suite.DimensionFunction, Value: "enrich"}
	for range 2 { // the second call meets no throttle: nothing more to report
		if _, err := c.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(channelARN)}); err != nil {
			t.Fatal(err)
		}
		p.Report(rec, "enrich")
		p.Report(rec, "enrich") // reported once only
		if got := rec.Count(suite.MetricIVSThrottles, dim); got != 2 {
			t.Errorf("IVSThrottles = %v, want 2", got)
		}
	}
	(*Pacer)(nil).Report(rec, "enrich") // no panic, nothing reported
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv, seen := server(t, 100)
	p := NewPacer(0)
	_, err := client(srv, p, 3).GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(channelARN)})
	if err == nil {
		t.Fatal("GetChannel succeeded against a server that always throttles")
	}
	if len(*seen) != 3 || p.Throttles() != 3 {
		t.Errorf("requests = %d, throttles = %d; want 3 and 3", len(*seen), p.Throttles())
	}
}

func TestPacesEachOperation(t *testing.T) {
	srv, seen := server(t, 0)
	p := NewPacer(20) // one call every 50 ms per operation
	c := client(srv, p, 0)
	began := time.Now()
	for range 4 {
		if _, err := c.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(channelARN)}); err != nil {
			t.Fatal(err)
		}
	}
	// A lower bound only, measured where the pacer is: the first call is released no earlier
	// than began and the fourth at least three intervals after it, and returns after that. (The
	// server's clock is no bound: the first request also opens the connection, so on a loaded
	// machine it can reach the server late and the server-side span comes out short.)
	if span := time.Since(began); span < 150*time.Millisecond || len(*seen) != 4 {
		t.Errorf("4 paced calls at 20/s took %v (%d requests), want at least 150ms (3 intervals of 50ms)", span, len(*seen))
	}
}

func TestPacingStopsOnCancel(t *testing.T) {
	srv, seen := server(t, 0)
	p := NewPacer(0.001) // one call, then a wait of 1000 s
	c := client(srv, p, 1)
	if _, err := c.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(channelARN)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(channelARN)}); err == nil {
		t.Fatal("a canceled call waiting for its turn succeeded")
	}
	// A deadline the wait would pass: the limiter refuses at once, and the error must read as
	// transient (the work was not done), not as a permanent failure.
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	_, err := c.GetChannel(dctx, &ivs.GetChannelInput{Arn: aws.String(channelARN)})
	if !errors.Is(err, context.DeadlineExceeded) || !retryable.Is(err) {
		t.Errorf("GetChannel past the deadline: err = %v; want it to wrap context.DeadlineExceeded and be transient", err)
	}
	if len(*seen) != 1 {
		t.Errorf("requests = %d, want 1", len(*seen))
	}
}

// TestScopesArePacedApart: two scopes (a fleet's regions) each get the whole rate: a call of
// one never waits for the other's, while calls of one scope are spaced.
func TestScopesArePacedApart(t *testing.T) {
	srv, seen := server(t, 0)
	p := NewPacer(0.001) // one call per scope and operation, then a wait of 1000 s
	scoped := func(scope string) *ivs.Client {
		return ivs.New(ivs.Options{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, HTTPClient: sdkhttp.New()},
			p.ScopedOptions(scope, 1))
	}
	west, europe := scoped("123456789012/us-west-2"), scoped("123456789012/eu-west-1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []*ivs.Client{west, europe} {
		if _, err := c.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(channelARN)}); err != nil {
			t.Fatalf("the first call of a scope waited for another scope's: %v", err)
		}
	}
	if _, err := west.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(channelARN)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second call of one scope inside its interval: err = %v, want it to wait (and give up at the deadline)", err)
	}
	if len(*seen) != 2 {
		t.Errorf("requests = %d, want 2", len(*seen))
	}
}

// TestDeferrableGivesWay: a deferrable call gives way (ErrGaveWay, nothing sent) while a call
// that cannot wait is waiting for its operation's turn, or when its own turn is further off than
// its maximum wait; with the operation idle it is made. The call that cannot wait is never
// delayed by deferrable ones.
func TestDeferrableGivesWay(t *testing.T) {
	srv, seen := server(t, 0)
	p := NewPacer(2) // one call every 500 ms per operation
	c := client(srv, p, 1)
	get := func(ctx context.Context) error {
		_, err := c.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(channelARN)})
		return err
	}
	idle := Deferrable(context.Background(), 100*time.Millisecond)
	if err := get(idle); err != nil {
		t.Fatalf("deferrable call on an idle operation: %v", err)
	}
	// The next turn is ~500 ms off: more than the deferrable call's 100 ms.
	if err := get(idle); !errors.Is(err, ErrGaveWay) {
		t.Fatalf("deferrable call 500 ms from its turn: err = %v, want ErrGaveWay", err)
	}
	// A call that cannot wait waits for its turn; a deferrable one meanwhile gives way, even
	// with a maximum wait that would cover the turn.
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- get(context.Background()) }()
	for {
		p.mu.Lock()
		n := p.waiting["GetChannel"]
		p.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the call that cannot wait never waited")
		}
		time.Sleep(time.Millisecond)
	}
	if err := get(Deferrable(context.Background(), time.Hour)); !errors.Is(err, ErrGaveWay) {
		t.Errorf("deferrable call while another waits: err = %v, want ErrGaveWay", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(*seen) != 2 {
		t.Errorf("requests = %d, want 2 (deferrable calls that gave way send nothing)", len(*seen))
	}
}
