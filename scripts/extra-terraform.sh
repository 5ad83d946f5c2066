#!/usr/bin/env bash
# Prints the path of the newer Terraform that the second test pass and the
# docs (action pages need 1.14+) use. It is built from the Go module proxy
# (github.com/hashicorp/terraform, `go build` in a scratch copy of the module;
# only go is needed, minutes on two cores the first time) and kept in
# $HOME/.cache/terraform-VERSION/terraform, where later runs find it.
# Progress goes to stderr; the path is the only line on stdout.
#
#   EXTRA_TERRAFORM_VERSION=1.15.9 bash scripts/extra-terraform.sh
#
# The module as the proxy serves it lacks Terraform's nested modules (the
# remote-state backends azurerm, consul, gcs, s3 and others, each a Go module
# of its own, which module zips leave out). The build drops those backends:
# the tests use the local backend, the plugin protocol and the CLI, which are
# all there.
set -euo pipefail

version="${EXTRA_TERRAFORM_VERSION:-1.15.9}"
module="github.com/hashicorp/terraform"
out="$HOME/.cache/terraform-$version/terraform"

fail() { echo "Cannot get Terraform $version: $*" >&2; exit 1; }

# A release build says "Terraform v1.15.9"; one built without the release
# flag, as earlier versions of this script did, "v1.15.9-dev": both do. The
# empty CLI configuration keeps a TF_CLI_CONFIG_FILE naming a missing file
# from adding its warning.
is_wanted() {
  local said
  said="$(TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null || true)"
  said="${said%%$'\n'*}"
  [[ "$said" == "Terraform v$version" || "$said" == "Terraform v$version-dev" ]]
}

# shellcheck source=scripts/go-cli-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-cli-build.sh"
reuse_cached " (set TF_EXTRA_TERRAFORM to a Terraform 1.14+ binary instead)"

started=$SECONDS
scratch="$(mktemp -d)"
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
src="$(module_source "$module" "$scratch")"

# Every nested module go.mod replaces with a directory the zip does not
# hold is dropped from go.mod, and so is every line of the backend registry
# that names its package (its import and its one-line map entry).
registry="$src/internal/backend/init/init.go"
[[ -f "$registry" ]] || fail "$registry is not where this script expects the backend registry."
nested="$(cd "$src" && go mod edit -json |
  sed -n "s#^[[:space:]]*\"Path\": \"\($module/internal/[^\"]*\)\",\$#\1#p" | sort -u)"
for path in $nested; do
  [[ -d "$src/${path#"$module"/}" ]] && continue
  (cd "$src" && go mod edit -droprequire="$path" -dropreplace="$path")
  alias="$(sed -n "s#^[[:space:]]*\([A-Za-z0-9_]*\) \"$path\"\$#\1#p" "$registry")"
  if [[ -n "$alias" ]]; then
    sed -i "/\"${path//\//\\/}\"\$/d; /\<$alias\./d" "$registry"
  fi
  echo "Left out $path (not in the module zip)." >&2
done

echo "Building Terraform $version (go build)..." >&2
(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X $module/version.dev=no" -o "$scratch/terraform" .) || fail "go build failed (see above)."

install_built "$scratch/terraform" Terraform
