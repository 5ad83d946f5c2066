terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

# Send api/prod back to the release that was live before the current one,
# with one rollback event and no canary steps:
#
#   terraform apply -invoke=action.ocuroot_rollback.api_prod
#
# Then set the deployment's release to the restored one: until then every
# plan proposes rolling the bad release out again.
action "ocuroot_rollback" "api_prod" {
  config {
    deployment = "api/prod"
    note       = "INC-2231: error rate above 5% after api@1.5.0"
  }
}
