#!/usr/bin/env bash
# Prints the path of the OpenTofu that the third test pass uses. It is built
# from the Go module proxy (github.com/opentofu/opentofu, `go build ./cmd/tofu`
# in a scratch copy of the module; only go is needed, minutes on two cores the
# first time) and kept in $HOME/.cache/opentofu-VERSION/tofu, where later runs
# find it. Progress goes to stderr; the path is the only line on stdout.
#
#   OPENTOFU_VERSION=1.12.6 bash scripts/opentofu.sh
set -euo pipefail

version="${OPENTOFU_VERSION:-1.12.6}"
module="github.com/opentofu/opentofu"
out="$HOME/.cache/opentofu-$version/tofu"

fail() { echo "Cannot get OpenTofu $version: $*" >&2; exit 1; }

# `tofu version` prints "OpenTofu v1.12.6" first; a build without the
# release flag would say "v1.12.6-dev". The empty CLI configuration keeps a
# TF_CLI_CONFIG_FILE naming a missing file from adding its warning.
is_wanted() {
  local said
  said="$(TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null || true)"
  said="${said%%$'\n'*}"
  [[ "$said" == "OpenTofu v$version" ]]
}

# shellcheck source=scripts/go-cli-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-cli-build.sh"
reuse_cached

started=$SECONDS
scratch="$(mktemp -d)"
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
src="$(module_source "$module" "$scratch")"

echo "Building OpenTofu $version (go build ./cmd/tofu)..." >&2
(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
  -o "$scratch/tofu" ./cmd/tofu) || fail "go build ./cmd/tofu failed (see above)."

install_built "$scratch/tofu" OpenTofu
