# The import id is the deployment id, PACKAGE/ENVIRONMENT.
import {
  to = ocuroot_deployment.api_prod_eu_1
  id = "api/prod-eu-1"
}
