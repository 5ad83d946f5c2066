terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

# Reads a deployment made by another workspace. Both must use the same
# store: set OCUROOT_STORE (for example to a postgres:// URL) in each.
provider "ocuroot" {}

data "ocuroot_deployment" "api_prod" {
  package     = "api"
  environment = "prod-eu-1"
}

output "api_prod_live_release" {
  value = data.ocuroot_deployment.api_prod.live_release
}

# Warn in this workspace's plans while the api is not settled in prod.
check "api_prod_settled" {
  assert {
    condition     = data.ocuroot_deployment.api_prod.status == "succeeded"
    error_message = "api in prod-eu-1 is ${data.ocuroot_deployment.api_prod.status}; it should be succeeded."
  }
}
