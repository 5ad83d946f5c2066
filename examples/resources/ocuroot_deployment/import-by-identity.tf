import {
  to = ocuroot_deployment.api_prod_eu_1
  identity = {
    package     = "api"
    environment = "prod-eu-1"
  }
}
