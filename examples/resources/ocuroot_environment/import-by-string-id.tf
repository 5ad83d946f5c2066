# The import id is the environment name.
import {
  to = ocuroot_environment.staging
  id = "staging"
}

# An environment created with for_each: the key goes in the address.
import {
  to = ocuroot_environment.prod["prod-eu-1"]
  id = "prod-eu-1"
}
