import {
  to = ocuroot_release.api
  identity = {
    package = "api"
    version = "1.4.2"
  }
}
