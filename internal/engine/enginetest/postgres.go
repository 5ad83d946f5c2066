package enginetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tests reach PostgreSQL through StartPostgres. Set PostgresURLEnv to use an
// existing server (the user needs CREATE on the database); otherwise one
// throw-away server is started per test binary from the PostgreSQL binaries
// on PATH or under /usr/lib/postgresql/*/bin, and stopped by StopPostgres in
// the package's TestMain. Without binaries the tests skip, or fail when
// CI=true.
const PostgresURLEnv = "OCUROOT_TEST_POSTGRES_URL"

var testPostgres struct {
	once    sync.Once
	url     string // database URL of the server, "" when unavailable
	skip    string // why the tests skip, when no binaries exist
	err     error  // why the server could not be started
	stop    func()
	schemas atomic.Int64
}

// StartPostgres returns the URL of a fresh, empty schema (via search_path),
// dropped when the test ends, so tests never see each other's records. The
// first call starts the server; the package's TestMain must call
// StopPostgres after m.Run.
func StartPostgres(t testing.TB) string {
	t.Helper()
	testPostgres.once.Do(func() {
		if u := os.Getenv(PostgresURLEnv); u != "" {
			testPostgres.url = u
			return
		}
		testPostgres.url, testPostgres.stop, testPostgres.skip, testPostgres.err = launchPostgres()
	})
	switch {
	case testPostgres.err != nil:
		t.Fatalf("start PostgreSQL for tests: %v", testPostgres.err)
	case testPostgres.skip != "" && os.Getenv("CI") == "true":
		t.Fatalf("PostgreSQL is missing, and CI=true requires the PostgreSQL tests: %s", testPostgres.skip)
	case testPostgres.skip != "":
		t.Skipf("skipping PostgreSQL test: %s", testPostgres.skip)
	}
	return newTestSchema(t, testPostgres.url)
}

// StopPostgres stops the server StartPostgres launched, if any. A server
// given through PostgresURLEnv is left alone. Safe to call more than once.
func StopPostgres() {
	if testPostgres.stop != nil {
		testPostgres.stop()
		testPostgres.stop = nil
	}
}

func newTestSchema(t testing.TB, base string) string {
	t.Helper()
	// Parse first: a malformed URL must not reach the error messages below,
	// and url.Error would quote it whole, password included.
	u, err := url.Parse(base)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		t.Fatalf("parse the PostgreSQL URL of %s: %v", PostgresURLEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := fmt.Sprintf("ocuroot_test_%d_%d", os.Getpid(), testPostgres.schemas.Add(1))
	if err := execPostgres(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execPostgres(ctx, base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	query := u.Query()
	query.Set("search_path", schema)
	u.RawQuery = query.Encode()
	return u.String()
}

func execPostgres(ctx context.Context, databaseURL, sql string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// launchPostgres starts the shared server in a temporary directory. It
// returns a skip reason instead of an error only when no PostgreSQL
// binaries exist.
func launchPostgres() (databaseURL string, stop func(), skip string, err error) {
	server, skip, err := newPostgresServer()
	if skip != "" || err != nil {
		return "", nil, skip, err
	}
	return server.url, server.remove, "", nil
}

// PostgresServer is a PostgreSQL server of one test, which the test may
// stop and start again (a store outage) without disturbing the server the
// other tests share.
type PostgresServer struct {
	mu      sync.Mutex
	run     func(name string, args ...string) error
	dir     string
	dataDir string
	options string // the postgres options: port, address, socket directory
	url     string
	running bool
}

// StartOwnPostgres starts a PostgreSQL server for t alone and returns it;
// it is removed when t ends. It skips like StartPostgres when no binaries
// exist. A server given through PostgresURLEnv cannot be stopped, so it is
// not used here.
func StartOwnPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	server, skip, err := newPostgresServer()
	switch {
	case err != nil:
		t.Fatalf("start PostgreSQL for %s: %v", t.Name(), err)
	case skip != "" && os.Getenv("CI") == "true":
		t.Fatalf("PostgreSQL is missing, and CI=true requires the PostgreSQL tests: %s", skip)
	case skip != "":
		t.Skipf("skipping PostgreSQL test: %s", skip)
	}
	t.Cleanup(server.remove)
	return server
}

// URL is the server's test database.
func (s *PostgresServer) URL() string { return s.url }

// Stop shuts the server down at once, dropping every connection, as a
// crashed or unreachable database would; its data is kept for Start. It
// returns an error rather than failing the test, so that it may be called
// from an HTTP handler of the test.
func (s *PostgresServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	if err := s.run("pg_ctl", "-D", s.dataDir, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w", err)
	}
	s.running = false
	return nil
}

// Start starts a stopped server again on the same port and data, and
// returns once it accepts connections.
func (s *PostgresServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	if err := s.start(); err != nil {
		return fmt.Errorf("restart PostgreSQL: %w", err)
	}
	return nil
}

func (s *PostgresServer) start() error {
	err := s.run("pg_ctl", "-D", s.dataDir, "-l", filepath.Join(s.dir, "server.log"), "-o", s.options, "-w", "-t", "60", "start")
	if err == nil {
		s.running = true
	}
	return err
}

// remove stops the server and deletes its files.
func (s *PostgresServer) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		_ = s.run("pg_ctl", "-D", s.dataDir, "-m", "immediate", "-w", "stop")
		s.running = false
	}
	os.RemoveAll(s.dir)
}

// newPostgresServer initialises and starts a server in a temporary
// directory with an empty database, ocuroot_test.
func newPostgresServer() (server *PostgresServer, skip string, err error) {
	binDir, ok := findPostgresBinaries()
	if !ok {
		return nil, "no initdb, pg_ctl and postgres on PATH or in /usr/lib/postgresql/*/bin " +
			"(Debian: apt-get install postgresql; or set " + PostgresURLEnv + ")", nil
	}
	dir, err := os.MkdirTemp("", "ocuroot-pg-")
	if err != nil {
		return nil, "", err
	}
	// PostgreSQL refuses to run as root: run it as the postgres user then,
	// in a directory that user owns.
	asPostgres := os.Geteuid() == 0
	if asPostgres {
		if err := chownToPostgresUser(dir); err != nil {
			os.RemoveAll(dir)
			return nil, "", err
		}
	}
	s := &PostgresServer{dir: dir, dataDir: filepath.Join(dir, "data")}
	s.run = func(name string, args ...string) error {
		return runPostgresTool(dir, asPostgres, filepath.Join(binDir, name), args...)
	}
	if err := s.run("initdb", "-D", s.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	// A free port may be taken between probing and binding: try a few.
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = freeLoopbackPort(); err != nil {
			break
		}
		s.options = fmt.Sprintf("-p %d -h 127.0.0.1 -k %s -F", port, dir)
		if err = s.start(); err == nil {
			base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", port)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err = execPostgres(ctx, base+"postgres?sslmode=disable", "CREATE DATABASE ocuroot_test")
			cancel()
			if err != nil {
				s.remove()
				return nil, "", fmt.Errorf("create test database: %w", err)
			}
			s.url = base + "ocuroot_test?sslmode=disable"
			return s, "", nil
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	s.remove()
	return nil, "", fmt.Errorf("%w\nserver log:\n%s", err, log)
}

// findPostgresBinaries returns a directory holding initdb, pg_ctl and
// postgres: the one on PATH, else the newest /usr/lib/postgresql/N/bin.
func findPostgresBinaries() (string, bool) {
	hasAll := func(dir string) bool {
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.IsDir() {
				return false
			}
		}
		return true
	}
	if initdb, err := exec.LookPath("initdb"); err == nil && hasAll(filepath.Dir(initdb)) {
		return filepath.Dir(initdb), true
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return postgresMajor(dirs[i]) > postgresMajor(dirs[j]) })
	for _, dir := range dirs {
		if hasAll(dir) {
			return dir, true
		}
	}
	return "", false
}

func postgresMajor(binDir string) int {
	major, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return major
}

func chownToPostgresUser(dir string) error {
	account, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root, so PostgreSQL must run as the postgres user: %w", err)
	}
	uid, err := strconv.Atoi(account.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(account.Gid)
	if err != nil {
		return err
	}
	return os.Chown(dir, uid, gid)
}

// runPostgresTool runs a PostgreSQL program. Its output goes to a file, not
// a pipe: pg_ctl start leaves the server running, and a server holding our
// pipe open would make Wait block until it exits.
func runPostgresTool(dir string, asPostgres bool, program string, args ...string) error {
	out, err := os.CreateTemp("", "ocuroot-pg-tool-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	cmd := exec.Command(program, args...)
	if asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", program}, args...)...)
	}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	runErr := cmd.Run()
	// The program has written the file, so its Close is checked; the
	// output is read back only to explain a failure.
	if err := out.Close(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("closing the output of %s: %w", filepath.Base(program), err))
	}
	if runErr != nil {
		output, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(program), strings.Join(args, " "), runErr, output)
	}
	return nil
}

func freeLoopbackPort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	addr, ok := listener.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}
