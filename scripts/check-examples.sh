#!/usr/bin/env bash
# Checks every Terraform example the way a user meets it: each .tf file under
# examples/ is copied alone into an empty directory, then `terraform validate`
# and `terraform plan` must succeed against a provider built from this tree,
# with no warning other than the one dev_overrides always prints.
#
# Offline: the provider reaches Terraform through dev_overrides (no init, no
# registry), the embedded store lives in each example's .terraform, and no
# example's plan calls a hook or a health check.
#
#   scripts/check-examples.sh                 # every example
#   scripts/check-examples.sh FILE.tf ...     # only these
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

command -v terraform >/dev/null 2>&1 || { echo "terraform is not on PATH" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ocuroot-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Nothing from the caller's environment may steer the examples elsewhere:
# each one uses the embedded store of its own directory.
unset OCUROOT_STORE OCUROOT_HOOK_SECRET TF_DATA_DIR TF_WORKSPACE TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_validate
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
# examples/provider/provider.tf and the blue-green guide ask for the hook
# secret and the credentials of the provider block.
export TF_VAR_hook_secret="example-secret" TF_VAR_metrics_token="example-token" TF_VAR_payments_hook_secret="example-payments-secret"

echo "Building the provider..."
go build -o "$work/plugins/terraform-provider-ocuroot" .

export TF_CLI_CONFIG_FILE="$work/terraform.rc"
cat >"$TF_CLI_CONFIG_FILE" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/ocuroot/ocuroot" = "$work/plugins"
  }
  direct {}
}
EOF

# The ocuroot_deployment data source reads a deployment that another
# configuration made; seed_deployment makes it in the example's store first.
seed_deployment() {
  local dir="$1"
  mkdir -p "$dir/seed"
  cat >"$dir/seed/main.tf" <<'EOF'
terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

resource "ocuroot_environment" "prod_eu_1" {
  name = "prod-eu-1"
}

resource "ocuroot_release" "api" {
  package = "api"
  version = "1.4.2"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod_eu_1.name]
  }
}

# No hook and no health check: the first deployment completes offline.
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod_eu_1.name
  release     = ocuroot_release.api.id
}
EOF
  OCUROOT_STORE="$dir/.terraform/ocuroot/store.db" \
    terraform -chdir="$dir/seed" apply -auto-approve -input=false -no-color >"$dir/seed.log" 2>&1
}

# unexpected_warnings prints the warnings of a log, less the dev_overrides one.
unexpected_warnings() {
  grep -E '^[│ ]*Warning: ' "$1" | grep -v 'Provider development overrides are in effect' || true
}

if [ "$#" -gt 0 ]; then
  examples=("$@")
else
  mapfile -t examples < <(find examples -name '*.tf' -type f | LC_ALL=C sort)
fi

echo "Checking formatting..."
terraform fmt -check -diff -recursive examples >/dev/null || {
  echo "examples/ is not formatted: run 'terraform fmt -recursive examples' (or 'make generate')." >&2
  exit 1
}

failed=0
for example in "${examples[@]}"; do
  dir="$work/examples/${example//\//_}"
  mkdir -p "$dir"
  cp "$example" "$dir/main.tf"
  result="ok"

  # Actions need Terraform 1.14+: checked with TF_EXTRA_TERRAFORM (see
  # GNUmakefile), skipped without it.
  tf=terraform
  if [[ "$example" == examples/actions/* ]]; then
    if [ -z "${TF_EXTRA_TERRAFORM:-}" ]; then
      printf '%-60s %s\n' "$example" "skipped: actions need Terraform 1.14+ (set TF_EXTRA_TERRAFORM)"
      continue
    fi
    tf="$TF_EXTRA_TERRAFORM"
  fi

  if [ "$example" = "examples/data-sources/ocuroot_deployment/data-source.tf" ]; then
    if ! seed_deployment "$dir"; then
      result="FAILED: seeding the store (see below)"
      cat "$dir/seed.log"
    fi
  fi

  if [ "$result" = "ok" ] && ! "$tf" -chdir="$dir" validate -no-color >"$dir/validate.log" 2>&1; then
    result="FAILED: terraform validate"
    cat "$dir/validate.log"
  fi
  if [ "$result" = "ok" ] && ! "$tf" -chdir="$dir" plan -input=false -no-color >"$dir/plan.log" 2>&1; then
    result="FAILED: terraform plan"
    cat "$dir/plan.log"
  fi
  if [ "$result" = "ok" ]; then
    warnings="$(unexpected_warnings "$dir/validate.log"; unexpected_warnings "$dir/plan.log")"
    if [ -n "$warnings" ]; then
      result="FAILED: unexpected warnings: $(echo "$warnings" | sed 's/^[│ ]*//' | paste -sd ';' -)"
      cat "$dir/plan.log"
    fi
  fi

  [ "$result" = "ok" ] || failed=$((failed + 1))
  printf '%-60s %s\n' "$example" "$result"
done

if [ "$failed" -gt 0 ]; then
  echo "$failed example(s) failed." >&2
  exit 1
fi
echo "All ${#examples[@]} examples validate and plan."
