#!/usr/bin/env bash
# Prints the release notes of one version: its section of CHANGELOG.md (from
# "## VERSION" up to the next "## " heading), without the heading, which the
# release already shows. `make release` hands the result to goreleaser's
# --release-notes.
#
#   scripts/release-notes.sh [VERSION]
#
# VERSION defaults to the tag at HEAD without its "v". CHANGELOG names another
# changelog file (for tests).
#
# It refuses a version with no section, an empty section, and a section still
# headed "(Unreleased)": a release's heading carries its date, so that the
# notes say when it shipped.
set -euo pipefail

version="${1:-}"
if [[ -z "$version" ]]; then
  tag="$(git describe --tags --exact-match 2>/dev/null)" || {
    echo "release-notes: HEAD is not tagged; pass the version: scripts/release-notes.sh 0.1.0" >&2
    exit 2
  }
  version="${tag#v}"
fi
changelog="${CHANGELOG:-$(dirname "${BASH_SOURCE[0]}")/../CHANGELOG.md}"

heading="$(grep -m 1 -E "^## ${version//./\\.}( |$)" "$changelog" || true)"
if [[ -z "$heading" ]]; then
  echo "release-notes: $changelog has no \"## $version\" section; add one before releasing $version" >&2
  exit 1
fi
if [[ "$heading" == *"(Unreleased)"* ]]; then
  echo "release-notes: $changelog still heads $version \"(Unreleased)\"; put the release date there, e.g. \"## $version (January 2, 2027)\"" >&2
  exit 1
fi

# The section's lines, with the blank lines around them trimmed.
notes="$(awk -v heading="$heading" '
  $0 == heading { inside = 1; next }
  inside && /^## / { exit }
  inside { print }
' "$changelog" | sed -e '/./,$!d')"
if [[ -z "${notes//[[:space:]]/}" ]]; then
  echo "release-notes: the $version section of $changelog is empty" >&2
  exit 1
fi
printf '%s\n' "$notes"
