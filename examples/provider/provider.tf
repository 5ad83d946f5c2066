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

# The embedded store keeps environments, releases and deployments in a local
# file under the Terraform data directory. Point `store` at PostgreSQL (or set
# OCUROOT_STORE) when several workspaces, CI runners or Terraform Cloud workers
# share the same environments.
provider "ocuroot" {
  store       = "embedded"
  hook_secret = var.hook_secret
}
