package rollout

import (
	"cmp"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// metricCheckCredential is the credential whose headers go with mc's
// requests: its own, or, for a PromQL check sent to the engine's Prometheus,
// the credential configured with that server.
func (m *Machine) metricCheckCredential(mc domain.MetricCheck) string {
	if mc.Credential == "" && mc.IsPromQL() && mc.Prometheus == "" {
		return m.Prometheus.Credential
	}
	return mc.Credential
}

// checkPrometheusAddress refuses a PromQL check that would have no server.
func (m *Machine) checkPrometheusAddress(id, block string, mc domain.MetricCheck) error {
	if mc.IsPromQL() && mc.Prometheus == "" && m.Prometheus.URL == "" {
		return &domain.MissingPrometheusError{Deployment: id, Block: block}
	}
	return nil
}

// promQuery completes a query for mc: its own address or the engine's
// Prometheus, and the engine's timeout.
func (m *Machine) promQuery(mc domain.MetricCheck, query string) domain.PromQuery {
	timeout := m.Prometheus.Timeout
	if timeout <= 0 {
		timeout = domain.DefaultQueryTimeout
	}
	return domain.PromQuery{Server: cmp.Or(mc.Prometheus, m.Prometheus.URL), Query: query, Headers: mc.Headers, Timeout: timeout}
}
