package engine

import "cmp"

// metricCheckCredential is the credential whose headers go with mc's
// requests: its own, or, for a PromQL check sent to the engine's Prometheus,
// the credential configured with that server.
func (m *machine) metricCheckCredential(mc MetricCheck) string {
	if mc.Credential == "" && mc.IsPromQL() && mc.Prometheus == "" {
		return m.prometheus.Credential
	}
	return mc.Credential
}

// checkPrometheusAddress refuses a PromQL check that would have no server.
func (m *machine) checkPrometheusAddress(id, block string, mc MetricCheck) error {
	if mc.IsPromQL() && mc.Prometheus == "" && m.prometheus.URL == "" {
		return &MissingPrometheusError{Deployment: id, Block: block}
	}
	return nil
}

// promQuery completes a query for mc: its own address or the engine's
// Prometheus, and the engine's timeout.
func (m *machine) promQuery(mc MetricCheck, query string) PromQuery {
	timeout := m.prometheus.Timeout
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	return PromQuery{Server: cmp.Or(mc.Prometheus, m.prometheus.URL), Query: query, Headers: mc.Headers, Timeout: timeout}
}
