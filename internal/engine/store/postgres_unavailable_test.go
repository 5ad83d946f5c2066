package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

func TestPgUnreachableTellsOutagesFromRefusals(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("failed to connect: %w", refused), true},
		{"server shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"server starting up", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{"connection failure class", &pgconn.PgError{Code: "08006"}, true},
		{"dropped mid-query", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"conn closed", pgconn.ErrConnClosed, true},
		{"wrong password", &pgconn.PgError{Code: "28P01", Message: "password authentication failed"}, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"caller cancelled", fmt.Errorf("query: %w", context.Canceled), false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := pgUnreachable(tt.err); got != tt.want {
			t.Errorf("%s: pgUnreachable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestPostgresKVOutageIsUnavailableUntilTheServerIsBack(t *testing.T) {
	server := enginetest.StartOwnPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kv, err := OpenPostgresKV(ctx, server.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	rev, err := kv.Put(ctx, "deployment", "api/prod", []byte(`{"v":1}`), 0)
	if err != nil {
		t.Fatal(err)
	}

	if err := server.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kv.Get(ctx, "deployment", "api/prod"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get while the server is down = %v, want ErrUnavailable", err)
	}
	_, err = kv.Apply(ctx, []KVWrite{{Kind: "deployment", Key: "api/prod", Value: []byte(`{"v":2}`), Expect: rev}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Apply while the server is down = %v, want ErrUnavailable", err)
	}

	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "deployment", "api/prod", []byte(`{"v":2}`), rev); err != nil {
		t.Fatalf("Put once the server is back = %v, want the write to land on the revision read before the outage", err)
	}
	// A refusal is not an outage: a stale revision is still a conflict.
	if _, err := kv.Put(ctx, "deployment", "api/prod", []byte(`{"v":3}`), rev); !errors.Is(err, ErrConflict) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put with a stale revision = %v, want ErrConflict only", err)
	}
}
