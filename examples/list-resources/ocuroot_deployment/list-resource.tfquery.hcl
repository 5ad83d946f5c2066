# Every deployment of api, whichever workspace made it.
list "ocuroot_deployment" "api" {
  provider = ocuroot

  config {
    package = "api"
  }
}

# Deployments in prod-eu-1 that wait for a promotion.
list "ocuroot_deployment" "waiting_in_prod_eu_1" {
  provider = ocuroot

  config {
    environment = "prod-eu-1"
    status      = "awaiting_promotion"
  }
}
