import {
  to = ocuroot_environment.staging
  identity = {
    name = "staging"
  }
}
