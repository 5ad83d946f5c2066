terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

variable "promote_release" {
  description = "Release id (web@VERSION) waiting at its promotion gate in web/prod."
  type        = string
  default     = "web@2.0.0"
}

# Cut over (blue-green) or finish the canary of the release waiting at
# awaiting_promotion, then return once it is live:
#
#   terraform apply -invoke=action.ocuroot_promote.web_prod
action "ocuroot_promote" "web_prod" {
  config {
    deployment = "web/prod"
    release    = var.promote_release
    note       = "CHG-1043: cutover during the Tuesday window"
    timeout    = "45m"
  }
}

# Approve the prod phase of a release (a phase with requires_approval):
#
#   terraform apply -invoke=action.ocuroot_promote.web_prod_approval
action "ocuroot_promote" "web_prod_approval" {
  config {
    release = var.promote_release
    phase   = "prod"
    note    = "CHG-1042: approved by the release manager"
  }
}
