# The import id is the release id, PACKAGE@VERSION.
import {
  to = ocuroot_release.api
  id = "api@1.4.2"
}
