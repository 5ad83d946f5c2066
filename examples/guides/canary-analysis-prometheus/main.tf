# Canary analysis with Prometheus: the canary is judged by the metrics the
# service already exports, and against the stable release on the same
# queries. The queries assume a counter http_requests_total and a histogram
# http_request_duration_seconds labelled with app, env, version and code;
# rename the metrics and labels to yours.

terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

# Every run evaluates the provider block, a promotion or a resume in a later
# run included, so they all ask the same Prometheus with the same token.
provider "ocuroot" {
  credentials = {
    prometheus = {
      headers = { Authorization = "Bearer ${var.metrics_token}" }
    }
  }

  prometheus = {
    url        = var.prometheus_url
    credential = "prometheus"
  }
}

variable "prometheus_url" {
  description = "Base address of the Prometheus HTTP API."
  type        = string
  default     = "http://prometheus.monitoring:9090"
}

variable "metrics_token" {
  description = "Bearer token Prometheus requires. Sent in a header with every query; never stored."
  type        = string
  sensitive   = true
}

variable "api_version" {
  description = "Version of the api build to run. Changing it rolls the new release out as a canary."
  type        = string
  default     = "1.4.2"
}

variable "hook_url" {
  description = "Endpoint that receives the lifecycle events and moves traffic."
  type        = string
  default     = "http://localhost:8080/hooks"
}

resource "ocuroot_environment" "prod_eu_1" {
  name = "prod-eu-1"
}

resource "ocuroot_release" "api" {
  package = "api"
  version = var.api_version

  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod_eu_1.name]
  }
}

resource "ocuroot_deployment" "api_prod_eu_1" {
  environment = ocuroot_environment.prod_eu_1.name
  release     = ocuroot_release.api.id
  strategy    = "canary"

  hook {
    url = var.hook_url
  }

  # 10% for 5 minutes, then 50% for 10 minutes. A round of the three checks
  # every 30 seconds; three failed rounds in a row roll back.
  canary {
    check_interval    = "30s"
    failure_threshold = 3

    step {
      weight = 10
      bake   = "5m"
    }
    step {
      weight = 50
      bake   = "10m"
    }
  }

  # The canary's share of failed requests: at most 1%, and at most one point
  # above stable's. The first rounds of a canary may come before its first
  # requests: up to 4 rounds without data in a row count for nothing.
  check {
    name               = "error_rate"
    query              = "sum(rate(http_requests_total{app=\"{package}\",env=\"{environment}\",version=\"{version}\",code=~\"5..\"}[2m])) / sum(rate(http_requests_total{app=\"{package}\",env=\"{environment}\",version=\"{version}\"}[2m]))"
    max                = 0.01
    no_data            = "inconclusive"
    inconclusive_limit = 4
    compare_to_stable  = { margin = 0.01 }
  }

  # p99 latency: under 500 ms, and no more than 10% above stable's. A
  # canary 50% slower than stable fails here even while it is under 500 ms.
  check {
    name               = "p99_latency"
    query              = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app=\"{package}\",env=\"{environment}\",version=\"{version}\"}[2m])))"
    max                = 0.5
    no_data            = "inconclusive"
    inconclusive_limit = 4
    compare_to_stable  = { margin_percent = 10 }
  }

  # The success rate must not drop more than half a point below stable's.
  check {
    name               = "success_rate"
    query              = "sum(rate(http_requests_total{app=\"{package}\",env=\"{environment}\",version=\"{version}\",code!~\"5..\"}[2m])) / sum(rate(http_requests_total{app=\"{package}\",env=\"{environment}\",version=\"{version}\"}[2m]))"
    no_data            = "inconclusive"
    inconclusive_limit = 4
    compare_to_stable  = { worse_when = "lower", margin = 0.005 }
  }

  timeouts {
    update = "30m"
  }
}
