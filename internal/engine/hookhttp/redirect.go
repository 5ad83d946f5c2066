package hookhttp

import (
	"fmt"
	"net/http"
)

// Hooks and checks never follow redirects. A hook call carries a signed
// body, its signature and an Idempotency-Key, and a probe may carry an
// authorization header: following a 307 or 308 would hand all of that to
// whatever host the answer names, and Go re-sends a 301 or 302 as a GET
// without a body, which hides the redirect behind an unrelated error. A 3xx
// is therefore reported as it came, naming its status and Location.

// neverFollowRedirects is the CheckRedirect of every hook and check client:
// the 3xx response itself is returned to the caller.
func neverFollowRedirects(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

func isRedirect(status int) bool {
	return status >= 300 && status < 400
}

// redirectLocation is where a 3xx answer points, resolved against the
// request URL when relative, with credentials, query and fragment removed;
// "" when the answer has no usable Location.
func redirectLocation(resp *http.Response) string {
	location, err := resp.Location()
	if err != nil {
		return ""
	}
	return stripURLSecrets(location.String())
}

// describeLocation completes "answered HTTP 307 Temporary Redirect …".
func describeLocation(location string) string {
	if location == "" {
		return "without a Location header"
	}
	return "to " + location
}

// describeStatus prints a status as "HTTP 307 Temporary Redirect".
func describeStatus(status int) string {
	if text := http.StatusText(status); text != "" {
		return fmt.Sprintf("HTTP %d %s", status, text)
	}
	return fmt.Sprintf("HTTP %d", status)
}
