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

if [[ -x "$out" ]] && is_wanted "$out"; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "go is not on PATH."
mkdir -p "$(dirname "$out")" 2>/dev/null && [[ -w "$(dirname "$out")" ]] ||
  fail "$(dirname "$out") is not writable."

started=$SECONDS
scratch="$(mktemp -d)"
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT

# Download from a scratch directory so that `go mod download` does not read
# or change this repository's go.mod.
echo "Downloading $module@v$version from the Go module proxy..." >&2
dir="$(cd "$scratch" && GOFLAGS=-mod=mod go mod download -json "$module@v$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$dir" && -d "$dir" ]] || fail "go mod download did not unpack $module@v$version."

# The module cache is read-only; build in a writable copy so that the build
# may resolve go.sum entries it needs (GOFLAGS=-mod=mod).
cp -r "$dir/." "$scratch/src"
chmod -R u+w "$scratch/src"

echo "Building OpenTofu $version (go build ./cmd/tofu)..." >&2
(cd "$scratch/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
  -o "$scratch/tofu" ./cmd/tofu) || fail "go build ./cmd/tofu failed (see above)."

is_wanted "$scratch/tofu" || fail "the build does not report itself as OpenTofu v$version."
mv "$scratch/tofu" "$out"
echo "OpenTofu $version: $out (built in $((SECONDS - started))s)" >&2
echo "$out"
