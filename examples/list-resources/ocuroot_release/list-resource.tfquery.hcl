# The releases of api that are registered and not archived, oldest first.
list "ocuroot_release" "api" {
  provider = ocuroot

  config {
    package = "api"
  }
}

# Every release, archived ones included.
list "ocuroot_release" "all" {
  provider = ocuroot

  config {
    include_archived = true
  }
}
