# The production environments.
list "ocuroot_environment" "prod" {
  provider = ocuroot

  config {
    attributes = {
      type = "prod"
    }
  }
}
