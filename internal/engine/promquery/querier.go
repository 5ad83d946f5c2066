// Package promquery runs the engine's PromQL checks against Prometheus with
// Prometheus's own Go client (client_golang's api and api/prometheus/v1).
// It classifies each answer (one sample, no data, several series, an
// unreachable server, a refused query) and leaves judging it to the engine.
package promquery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// seriesShown bounds how many label sets an ambiguous answer quotes.
const seriesShown = 3

// Querier runs instant queries. One query is one request: it never retries,
// and the check's failure threshold decides how many failed rounds matter.
// It is safe for concurrent use.
type Querier struct {
	// transport is shared by every query, so connections to a Prometheus
	// are reused from one check round to the next.
	transport http.RoundTripper
}

var _ domain.Querier = (*Querier)(nil)

// New builds a querier on its own copy of the default transport.
func New() *Querier {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return &Querier{transport: &http.Transport{Proxy: http.ProxyFromEnvironment}}
	}
	return &Querier{transport: base.Clone()}
}

// Query asks q.Server for q.Query at the server's current time.
func (c *Querier) Query(ctx context.Context, q domain.PromQuery) domain.QueryAnswer {
	server := shownAddress(q.Server)
	client, err := api.NewClient(api.Config{
		Address: q.Server,
		Client: &http.Client{
			Transport:     &credentialTransport{base: c.transport, headers: q.Headers},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	})
	if err != nil {
		return domain.QueryAnswer{Outcome: domain.QueryUnreachable, Detail: fmt.Sprintf("%s is not a usable address", server)}
	}
	queryCtx, cancel := context.WithTimeout(ctx, q.Timeout)
	defer cancel()
	value, _, _, err := promv1.NewAPI(client).Query(queryCtx, q.Query, time.Time{})
	if err != nil {
		return describeError(ctx, queryCtx, server, q, err)
	}
	return classify(value)
}

// classify turns a successful answer into an outcome.
func classify(value model.Value) domain.QueryAnswer {
	switch v := value.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return domain.QueryAnswer{Outcome: domain.QueryNoData}
		case 1:
			if v[0].Histogram != nil {
				return domain.QueryAnswer{Outcome: domain.QueryRefused,
					Detail: "the query returned a native histogram, not a number; wrap it in histogram_quantile, histogram_count or histogram_sum"}
			}
			return domain.QueryAnswer{Outcome: domain.QuerySample, Value: float64(v[0].Value)}
		}
		answer := domain.QueryAnswer{Outcome: domain.QueryAmbiguous, Series: len(v)}
		for _, sample := range v[:min(len(v), seriesShown)] {
			answer.Labels = append(answer.Labels, sample.Metric.String())
		}
		return answer
	case *model.Scalar:
		return domain.QueryAnswer{Outcome: domain.QuerySample, Value: float64(v.Value)}
	case model.Matrix:
		return domain.QueryAnswer{Outcome: domain.QueryRefused,
			Detail: "the query returned a range vector (a selector such as [5m] outside a function like rate?); a check needs one instant value"}
	case nil:
		return domain.QueryAnswer{Outcome: domain.QueryNoData}
	default:
		return domain.QueryAnswer{Outcome: domain.QueryRefused,
			Detail: fmt.Sprintf("the query returned a %s, not a number", value.Type())}
	}
}

// describeError classifies a failed query: Prometheus's own error (a bad
// query, an execution error, a refused credential) is a refusal quoted in
// its words; no answer, or an answer that is not Prometheus's API, is an
// unreachable server.
func describeError(ctx, queryCtx context.Context, server string, q domain.PromQuery, err error) domain.QueryAnswer {
	var apiErr *promv1.Error
	var redirect *redirectError
	switch {
	case ctx.Err() != nil:
		return unreachable("%s: cancelled: %v", server, ctx.Err())
	case errors.As(err, &redirect):
		return domain.QueryAnswer{Outcome: domain.QueryRefused, Detail: fmt.Sprintf(
			"%s answered %s to %s; checks never follow redirects: set the Prometheus address to the final one", server, redirect.status, redirect.location)}
	case errors.Is(queryCtx.Err(), context.DeadlineExceeded):
		return unreachable("%s did not answer within %s", server, q.Timeout)
	case errors.As(err, &apiErr):
		return describeAPIError(server, apiErr, q.Headers)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return unreachable("%s: %s", server, redact(err.Error(), q.Headers))
}

func describeAPIError(server string, apiErr *promv1.Error, headers map[string]string) domain.QueryAnswer {
	message := redact(apiErr.Msg, headers)
	switch apiErr.Type {
	case promv1.ErrServer:
		return unreachable("%s answered %s%s", server, message, bodyQuote(apiErr.Detail, headers))
	case promv1.ErrBadResponse:
		return unreachable("%s did not answer like Prometheus's HTTP API (%s); is the address that of a Prometheus server?", server, message)
	case promv1.ErrClient:
		return domain.QueryAnswer{Outcome: domain.QueryRefused, Detail: fmt.Sprintf("%s answered %s%s (a missing or wrong credential? a path in the address?)",
			server, message, bodyQuote(apiErr.Detail, headers))}
	}
	return domain.QueryAnswer{Outcome: domain.QueryRefused, Detail: fmt.Sprintf("%s: %s", apiErr.Type, message)}
}

func unreachable(format string, args ...any) domain.QueryAnswer {
	return domain.QueryAnswer{Outcome: domain.QueryUnreachable, Detail: fmt.Sprintf(format, args...)}
}

// bodyQuote quotes the start of an error answer's body.
func bodyQuote(body string, headers map[string]string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return ""
	}
	const limit = 200
	if len(body) > limit {
		body = strings.ToValidUTF8(body[:limit], "") + "…"
	}
	return fmt.Sprintf(": %q", redact(body, headers))
}

// redact removes header values from text: an error may echo a request.
func redact(text string, headers map[string]string) string {
	for _, value := range headers {
		if len(value) >= 4 {
			text = strings.ReplaceAll(text, value, "[redacted]")
		}
	}
	return text
}

// shownAddress is the server's address as messages show it: without
// credentials, query or fragment (validation refuses credentials, this
// makes sure).
func shownAddress(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable Prometheus address]"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}
