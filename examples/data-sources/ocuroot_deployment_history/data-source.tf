terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

resource "ocuroot_environment" "prod_eu_1" {
  name = "prod-eu-1"
}

resource "ocuroot_release" "api" {
  package = "api"
  version = "1.4.2"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod_eu_1.name]
  }
}

resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod_eu_1.name
  release     = ocuroot_release.api.id
}

# Terraform state keeps only last_transition; the story of the deployment
# (every step, promotion and rollback, with its reason) is read from the
# store. depends_on reads it after this run's rollout, not before.
data "ocuroot_deployment_history" "api" {
  deployment = ocuroot_deployment.api.id
  limit      = 50
  depends_on = [ocuroot_deployment.api]
}

output "api_prod_story" {
  value = [for t in data.ocuroot_deployment_history.api.entries : "${t.time} ${t.from} → ${t.to} (${t.release}): ${t.reason}"]
}
