terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

variable "hook_secret" {
  description = "Secret used to sign the lifecycle hook calls sent to your deployment targets."
  type        = string
  sensitive   = true
}

variable "metrics_token" {
  description = "Bearer token of the metrics API that health checks and metric checks read."
  type        = string
  sensitive   = true
}

variable "payments_hook_secret" {
  description = "Secret the payments team's hook receiver verifies signatures with."
  type        = string
  sensitive   = true
}

# The embedded store keeps environments, releases and deployments in a local
# file under the Terraform data directory. Point `store` at PostgreSQL (or set
# OCUROOT_STORE) when several workspaces, CI runners or Terraform Cloud workers
# share the same environments.
provider "ocuroot" {
  store       = "embedded"
  hook_secret = var.hook_secret

  # Hooks and checks name these with credential = "metrics" or "payments".
  # The provider block is evaluated in every run and never written to state,
  # so a promotion or an action in a later run signs and probes exactly like
  # the run that started the rollout.
  credentials = {
    metrics = {
      headers = { Authorization = "Bearer ${var.metrics_token}" }
    }
    payments = {
      hook_secret = var.payments_hook_secret
    }
  }

  # The Prometheus that PromQL checks (query = "...") ask, with the token
  # of the "metrics" credential.
  prometheus = {
    url        = "http://prometheus.monitoring:9090"
    credential = "metrics"
  }
}
