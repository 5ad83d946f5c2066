# The import id is the environment name.
terraform import ocuroot_environment.staging staging

# An environment created with for_each: quote the address.
terraform import 'ocuroot_environment.prod["prod-eu-1"]' prod-eu-1
