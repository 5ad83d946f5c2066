package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgUnreachable reports whether err says the server could not be reached,
// rather than that it refused the request: a connection refused, reset or
// dropped, or a server shutting down, restarting or out of connections.
// An answer from the server decides by its SQLSTATE, even when it came
// while connecting: a rejected password stays an error.
func pgUnreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up: nothing to wait for
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgUnavailableState(pgErr.Code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, pgconn.ErrConnClosed):
		return true
	}
	// pgconn marks the errors of a request that never reached the server.
	return pgconn.SafeToRetry(err)
}

// pgUnavailableState reports whether a SQLSTATE means "try again later":
// class 08 (connection exception), admin_shutdown, crash_shutdown,
// cannot_connect_now (starting up or shutting down), too_many_connections.
func pgUnavailableState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(code, "08")
}
