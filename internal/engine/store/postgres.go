package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The shared store keeps every record in one table. Revisions come from one
// sequence, so they increase across the whole database, as in BoltKV.
var pgSchema = []string{
	`CREATE TABLE IF NOT EXISTS ocuroot_records (
		kind       text        NOT NULL,
		key        text        NOT NULL,
		value      bytea       NOT NULL,
		revision   bigint      NOT NULL,
		updated_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (kind, key)
	)`,
	`CREATE SEQUENCE IF NOT EXISTS ocuroot_revisions`,
	// Keys compared and ordered byte by byte (the order of every KV), so
	// that a prefix Scan and List read an index range whatever the
	// database's collation; the primary key's own collation may not.
	`CREATE INDEX IF NOT EXISTS ocuroot_records_kind_key_c ON ocuroot_records (kind, key COLLATE "C")`,
}

// pgSchemaLockKey names the advisory lock held while the schema is created:
// CREATE ... IF NOT EXISTS still fails when two sessions run it at once.
const pgSchemaLockKey int64 = 0x6f637572_6f6f7431 // "ocuroot1"

const (
	pgGet = `SELECT value, revision FROM ocuroot_records WHERE kind = $1 AND key = $2`
	// Keys are listed in byte order, whatever the database's collation.
	pgList = `SELECT key, value, revision FROM ocuroot_records WHERE kind = $1 ORDER BY key COLLATE "C"`
	// A Scan reads one index range: [prefix, the end of its range), in
	// byte order, either way, up to a limit (NULL: no limit).
	pgScanFrom     = `SELECT key, value, revision FROM ocuroot_records WHERE kind = $1 AND key COLLATE "C" >= $2`
	pgScanBelow    = ` AND key COLLATE "C" < $4`
	pgScanForward  = ` ORDER BY key COLLATE "C" LIMIT $3`
	pgScanBackward = ` ORDER BY key COLLATE "C" DESC LIMIT $3`
	pgPutUpsert    = `INSERT INTO ocuroot_records (kind, key, value, revision, updated_at)
		VALUES ($1, $2, $3, nextval('ocuroot_revisions'), now())
		ON CONFLICT (kind, key) DO UPDATE
		SET value = EXCLUDED.value, revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at
		RETURNING revision`
	pgPutCreate = `INSERT INTO ocuroot_records (kind, key, value, revision, updated_at)
		VALUES ($1, $2, $3, nextval('ocuroot_revisions'), now())
		ON CONFLICT (kind, key) DO NOTHING
		RETURNING revision`
	pgPutReplace = `UPDATE ocuroot_records
		SET value = $3, revision = nextval('ocuroot_revisions'), updated_at = now()
		WHERE kind = $1 AND key = $2 AND revision = $4
		RETURNING revision`
	pgDeleteAny = `DELETE FROM ocuroot_records WHERE kind = $1 AND key = $2`
	// One round trip tells a stale revision (the row still exists) from a
	// record that is already gone (not an error).
	pgDeleteIf = `WITH deleted AS (
			DELETE FROM ocuroot_records WHERE kind = $1 AND key = $2 AND revision = $3 RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM deleted),
		       EXISTS (SELECT 1 FROM ocuroot_records WHERE kind = $1 AND key = $2)`
)

const (
	// pgMaxConns bounds the connections of one process; Terraform runs at
	// most a handful of operations at once.
	pgMaxConns = 8
	// pgMaxIdle is how long an idle connection is kept: servers and proxies
	// drop idle connections, and a fresh one is cheaper than a failed call.
	pgMaxIdle = time.Minute
	// pgConnectTimeout applies when the URL sets no connect_timeout.
	pgConnectTimeout = 15 * time.Second
)

// PostgresKV is the shared store: records in a PostgreSQL table, so that
// every machine driving deployments sees the same data.
type PostgresKV struct {
	pool     *pgxpool.Pool
	closed   atomic.Bool
	redacted string   // the URL with its password hidden, for messages
	secrets  []string // passwords that must never appear in an error
}

var _ KV = (*PostgresKV)(nil)

// OpenPostgresKV connects to the database at url and creates the schema when
// it is missing. Errors name the database by RedactURL(url).
func OpenPostgresKV(ctx context.Context, url string) (*PostgresKV, error) {
	p := &PostgresKV{redacted: RedactURL(url), secrets: urlSecrets(url)}
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, p.wrap("parse URL", err)
	}
	if config.ConnConfig.Password != "" {
		p.secrets = append(p.secrets, config.ConnConfig.Password)
	}
	if config.ConnConfig.ConnectTimeout == 0 {
		config.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	config.MaxConns = pgMaxConns
	config.MaxConnIdleTime = pgMaxIdle
	p.pool, err = pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, p.wrap("connect", err)
	}
	if err := p.createSchema(ctx); err != nil {
		p.pool.Close()
		return nil, p.wrap("create schema", err)
	}
	return p, nil
}

func (p *PostgresKV) createSchema(ctx context.Context) error {
	return p.withConn(ctx, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgSchemaLockKey); err != nil {
				return err
			}
			for _, statement := range pgSchema {
				if _, err := tx.Exec(ctx, statement); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func (p *PostgresKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	var value []byte
	var revision int64
	err := p.withConn(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, pgGet, kind, key).Scan(&value, &revision)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, p.wrap("get", err)
	}
	return value, revision, nil
}

func (p *PostgresKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	query, args := pgPutStatement(kind, key, value, expect)
	var revision int64
	err := p.withConn(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, query, args...).Scan(&revision)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrConflict // the row exists (create) or has another revision (replace)
	}
	if err != nil {
		return 0, p.wrap("put", err)
	}
	return revision, nil
}

// pgPutStatement is the statement that writes one record with Put's
// revision check; it returns no row when the check fails.
func pgPutStatement(kind, key string, value []byte, expect int64) (string, []any) {
	if value == nil {
		value = []byte{} // pgx sends a nil slice as NULL
	}
	switch expect {
	case AnyRevision:
		return pgPutUpsert, []any{kind, key, value}
	case 0:
		return pgPutCreate, []any{kind, key, value}
	}
	return pgPutReplace, []any{kind, key, value, expect}
}

func (p *PostgresKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	var deleted, exists bool
	err := p.withConn(ctx, func(conn *pgx.Conn) error {
		if expect == AnyRevision {
			_, err := conn.Exec(ctx, pgDeleteAny, kind, key)
			return err
		}
		return conn.QueryRow(ctx, pgDeleteIf, kind, key, expect).Scan(&deleted, &exists)
	})
	if err != nil {
		return p.wrap("delete", err)
	}
	if !deleted && exists {
		return ErrConflict
	}
	return nil
}

func (p *PostgresKV) List(ctx context.Context, kind string) ([]KVEntry, error) {
	out, err := p.queryEntries(ctx, pgList, kind)
	if err != nil {
		return nil, p.wrap("list", err)
	}
	return out, nil
}

// queryEntries runs a query whose rows are key, value, revision.
func (p *PostgresKV) queryEntries(ctx context.Context, query string, args ...any) ([]KVEntry, error) {
	out := []KVEntry{}
	err := p.withConn(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		var entry KVEntry
		_, err = pgx.ForEachRow(rows, []any{&entry.Key, &entry.Value, &entry.Revision}, func() error {
			out = append(out, entry)
			entry.Value = nil // the next row must not overwrite this one's bytes
			return nil
		})
		return err
	})
	return out, err
}

func (p *PostgresKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error) {
	query, args := pgScanFrom, []any{kind, prefix, nil}
	if limit > 0 {
		args[2] = limit
	}
	if end, ok := prefixEndText(prefix); ok {
		query += pgScanBelow
		args = append(args, end)
	}
	if reverse {
		query += pgScanBackward
	} else {
		query += pgScanForward
	}
	out, err := p.queryEntries(ctx, query, args...)
	if err != nil {
		return nil, p.wrap("scan", err)
	}
	return out, nil
}

// errApplyConflict rolls back an Apply whose expectation failed.
var errApplyConflict = errors.New("apply: revision mismatch")

// Apply sends the batch's statements in one round trip inside one
// transaction; a write whose revision check fails rolls all of it back.
func (p *PostgresKV) Apply(ctx context.Context, writes []KVWrite) ([]int64, error) {
	if err := validateWrites(writes); err != nil {
		return nil, p.wrap("apply", err)
	}
	revisions := make([]int64, len(writes))
	err := p.withConn(ctx, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			batch := &pgx.Batch{}
			for _, w := range writes {
				query, args := pgPutStatement(w.Kind, w.Key, w.Value, w.Expect)
				batch.Queue(query, args...)
			}
			results := tx.SendBatch(ctx, batch)
			for i := range writes {
				err := results.QueryRow().Scan(&revisions[i])
				if errors.Is(err, pgx.ErrNoRows) {
					err = errApplyConflict
				}
				if err != nil {
					_ = results.Close()
					return err
				}
			}
			return results.Close()
		})
	})
	if errors.Is(err, errApplyConflict) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, p.wrap("apply", err)
	}
	return revisions, nil
}

// Close closes every connection.
func (p *PostgresKV) Close() error {
	p.closed.Store(true)
	p.pool.Close()
	return nil
}

func (p *PostgresKV) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	if p.closed.Load() {
		return errStoreClosed
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	return fn(conn.Conn())
}

// wrap names the store in an error and makes sure no password leaks into it.
// pgx redacts passwords itself; this is the second line of defence. An
// error that says the server could not be reached matches ErrUnavailable.
func (p *PostgresKV) wrap(op string, err error) error {
	wrapped := p.scrub(op, err)
	if pgUnreachable(err) {
		return markUnavailable(wrapped)
	}
	return wrapped
}

func (p *PostgresKV) scrub(op string, err error) error {
	msg := err.Error()
	for _, secret := range p.secrets {
		if secret != "" && strings.Contains(msg, secret) {
			// Unwrapping would hand the secret back, so the cause is dropped.
			return fmt.Errorf("postgres store %s: %s: %s", p.redacted, op, strings.ReplaceAll(msg, secret, "redacted"))
		}
	}
	return fmt.Errorf("postgres store %s: %s: %w", p.redacted, op, err)
}

// pgPasswordParam matches a password in key=value form, quoted or not.
var pgPasswordParam = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)`)

// RedactURL returns a database URL with any password, in the user info or
// in a query parameter such as password= or sslpassword=, replaced by
// "redacted", so that it can be logged and put in errors. A string that does
// not parse is redacted conservatively: everything between "://" and the
// last "@" is hidden.
func RedactURL(raw string) string {
	if !strings.Contains(raw, "://") {
		// "host=db password=secret": the key=value form libpq also accepts.
		return pgPasswordParam.ReplaceAllString(raw, "${1}redacted")
	}
	u, err := url.Parse(raw)
	if err != nil {
		if scheme := strings.Index(raw, "://"); scheme >= 0 {
			if at := strings.LastIndex(raw, "@"); at > scheme {
				raw = raw[:scheme+3] + "redacted" + raw[at:]
			}
		}
		return pgPasswordParam.ReplaceAllString(raw, "${1}redacted")
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "redacted")
		}
	}
	if query := u.Query(); len(query) > 0 {
		changed := false
		for name := range query {
			if strings.Contains(strings.ToLower(name), "password") {
				query.Set(name, "redacted")
				changed = true
			}
		}
		if changed {
			u.RawQuery = query.Encode()
		}
	}
	return u.String()
}

// urlSecrets returns the passwords written in a database URL.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if password, ok := u.User.Password(); ok {
		secrets = append(secrets, password)
	}
	for name, values := range u.Query() {
		if strings.Contains(strings.ToLower(name), "password") {
			secrets = append(secrets, values...)
		}
	}
	return secrets
}
