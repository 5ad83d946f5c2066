package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://user:s3cret@db.example.com:5432/ocuroot?sslmode=require",
			"postgres://user:redacted@db.example.com:5432/ocuroot?sslmode=require"},
		{"postgresql://user:s3cret@db/ocuroot", "postgresql://user:redacted@db/ocuroot"},
		{"postgres://user@db/ocuroot", "postgres://user@db/ocuroot"},
		{"postgres://db/ocuroot", "postgres://db/ocuroot"},
		{"postgres://user:@db/ocuroot", "postgres://user:redacted@db/ocuroot"},
		{"postgres://user:p%40ss%2Fword@db/ocuroot", "postgres://user:redacted@db/ocuroot"},
		{"postgres://db/ocuroot?user=u&password=s3cret&sslmode=disable",
			"postgres://db/ocuroot?password=redacted&sslmode=disable&user=u"},
		{"postgres://db/ocuroot?sslpassword=s3cret", "postgres://db/ocuroot?sslpassword=redacted"},
		{"postgres://user:s3cret@h1:5432,h2:5433/ocuroot", "postgres://user:redacted@h1:5432,h2:5433/ocuroot"},
		// Does not parse (raw '@' and '%' in the password): hide the user info.
		{"postgres://user:p@ss%word@db/ocuroot", "postgres://redacted@db/ocuroot"},
		{"host=db user=u password=s3cret dbname=ocuroot", "host=db user=u password=redacted dbname=ocuroot"},
		{"host=db password='s3 cret' dbname=ocuroot", "host=db password=redacted dbname=ocuroot"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenPostgresKVErrorsHideThePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback refuses connections at once.
	for _, url := range []string{
		"postgres://deployer:s3cret-pw@127.0.0.1:1/ocuroot?sslmode=disable",
		"postgres://127.0.0.1:1/ocuroot?user=deployer&password=s3cret-pw&sslmode=disable",
		"postgres://deployer:s3cret-pw@127.0.0.1:1/ocuroot?sslmode=bogus",
	} {
		_, err := OpenPostgresKV(ctx, url)
		if err == nil {
			t.Fatalf("OpenPostgresKV(%s) succeeded", RedactURL(url))
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cret-pw") {
			t.Fatalf("error leaks the password: %s", msg)
		}
		if !strings.Contains(msg, "postgres store "+RedactURL(url)) {
			t.Fatalf("error = %q, want it to name the store as %q", msg, RedactURL(url))
		}
	}
}

func TestPostgresKVWrapScrubsSecrets(t *testing.T) {
	p := &PostgresKV{redacted: "postgres://u:redacted@db/x", secrets: []string{"hunter2"}}
	err := p.wrap("get", errors.New(`server said: password "hunter2" rejected`))
	if strings.Contains(err.Error(), "hunter2") || errors.Unwrap(err) != nil {
		t.Fatalf("wrap = %q (unwraps to %v), want the secret gone", err, errors.Unwrap(err))
	}
	want := `postgres store postgres://u:redacted@db/x: get: server said: password "redacted" rejected`
	if err.Error() != want {
		t.Fatalf("wrap = %q, want %q", err, want)
	}
}

func TestPostgresKVSchemaCreationIsSafeConcurrently(t *testing.T) {
	url := enginetest.StartPostgres(t)
	ctx := context.Background()
	errs := make(chan error, 8)
	for i := 0; i < cap(errs); i++ {
		go func() {
			kv, err := OpenPostgresKV(ctx, url)
			if err == nil {
				kv.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent OpenPostgresKV: %v", err)
		}
	}
}

func TestPostgresKVAfterClose(t *testing.T) {
	kv, err := OpenPostgresKV(context.Background(), enginetest.StartPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	kv.Close()
	_, _, err = kv.Get(context.Background(), "env", "prod")
	if !errors.Is(err, errStoreClosed) || !strings.Contains(err.Error(), "postgres store ") {
		t.Fatalf("Get after Close = %v, want errStoreClosed naming the store", err)
	}
}
