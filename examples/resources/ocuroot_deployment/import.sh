# The import id is the deployment id, PACKAGE/ENVIRONMENT.
terraform import ocuroot_deployment.api_prod_eu_1 api/prod-eu-1
