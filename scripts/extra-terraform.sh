#!/usr/bin/env bash
# Prints the path of the newer Terraform that the second test pass and the
# docs (action pages need 1.14+) use. It is built from the Go module proxy by
# the shared build-terraform.sh next to this repository (python3 and go; 4-8
# minutes on two cores the first time, then reused from $HOME/.cache).
# Progress goes to stderr; the path is the only line on stdout.
set -euo pipefail

version="${EXTRA_TERRAFORM_VERSION:-1.15.9}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_terraform="$(cd "$repo/.." && pwd)/shared/tools/build-terraform.sh"

fail() { echo "Cannot get Terraform $version: $*" >&2; exit 1; }
[[ -f "$build_terraform" ]] || fail "$build_terraform is missing (set TF_EXTRA_TERRAFORM to a Terraform 1.14+ binary instead)."
command -v python3 >/dev/null 2>&1 || fail "build-terraform.sh needs python3."
mkdir -p "$HOME/.cache" 2>/dev/null && [[ -w "$HOME/.cache" ]] || fail "$HOME/.cache, where build-terraform.sh keeps it, is not writable."

started=$SECONDS
# Run from a scratch directory: the tool's `go mod download` must not see
# this module.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
output="$(cd "$scratch" && bash "$build_terraform" "$version" 2> >(cat >&2))" || fail "build-terraform.sh failed (see its output above)."
binary="$(tail -n 1 <<<"$output")"
# The whole output is read (no grep -q): under pipefail an early-closing
# reader could fail the check on a good binary.
built="$("$binary" version 2>/dev/null || true)"
[[ -x "$binary" && "$built" == *"v$version"* ]] || fail "build-terraform.sh did not leave a Terraform $version at '$binary'."
echo "Terraform $version: $binary (ready in $((SECONDS - started))s)" >&2
echo "$binary"
