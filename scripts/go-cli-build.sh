# Shared by extra-terraform.sh and opentofu.sh, which source it: building a
# command-line tool from a Go module as the Go module proxy serves it, cached
# under $HOME/.cache. The sourcing script sets `version`, `out`, `fail` and
# `is_wanted` first.

# reuse_cached prints the cached binary and exits when it is the wanted one.
reuse_cached() {
  if [[ -x "$out" ]] && is_wanted "$out"; then
    echo "$out"
    exit 0
  fi
  command -v go >/dev/null 2>&1 || fail "go is not on PATH."
  mkdir -p "$(dirname "$out")" 2>/dev/null && [[ -w "$(dirname "$out")" ]] ||
    fail "$(dirname "$out") is not writable${1:-}."
}

# module_source MODULE SCRATCH downloads MODULE@v$version from the Go module
# proxy and copies it to SCRATCH/src, writable, printing that path. The
# download runs in SCRATCH so that `go mod download` neither reads nor
# changes this repository's go.mod; the copy exists because the module cache
# is read-only, and the build may need to resolve go.sum entries
# (GOFLAGS=-mod=mod).
module_source() {
  local module="$1" scratch="$2" dir
  echo "Downloading $module@v$version from the Go module proxy..." >&2
  dir="$(cd "$scratch" && GOFLAGS=-mod=mod go mod download -json "$module@v$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || fail "go mod download did not unpack $module@v$version."
  cp -r "$dir/." "$scratch/src"
  chmod -R u+w "$scratch/src"
  echo "$scratch/src"
}

# install_built moves a built binary into the cache once it reports itself
# as the wanted version, and prints its path.
install_built() {
  local built="$1" what="$2"
  is_wanted "$built" || fail "the build does not report itself as $what v$version."
  mv "$built" "$out"
  echo "$what $version: $out (built in $((SECONDS - started))s)" >&2
  echo "$out"
}
