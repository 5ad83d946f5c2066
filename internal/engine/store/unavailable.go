package store

import "errors"

// ErrUnavailable matches an error from a store that could not be reached:
// a refused or dropped connection, a server shutting down or starting up.
// The same call may well succeed a little later, so a caller with time to
// spare may wait and try again; every other error means what it says.
var ErrUnavailable = errors.New("store unavailable")

// unavailableError marks err as ErrUnavailable and keeps it for errors.As.
type unavailableError struct{ err error }

func (u *unavailableError) Error() string        { return u.err.Error() }
func (u *unavailableError) Unwrap() error        { return u.err }
func (u *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// markUnavailable wraps err so that it matches ErrUnavailable.
func markUnavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &unavailableError{err: err}
}
