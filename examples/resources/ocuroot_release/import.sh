# The import id is the release id, PACKAGE@VERSION.
terraform import ocuroot_release.api api@1.4.2
