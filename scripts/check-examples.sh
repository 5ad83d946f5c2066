#!/usr/bin/env bash
# Checks every Terraform example the way a user meets it: each .tf file under
# examples/ is copied alone into an empty directory, then `terraform validate`
# and `terraform plan` must succeed against a provider built from this tree,
# with no warning other than the one dev_overrides always prints. An import
# example (examples/resources/*/import-*.tf) is checked beside the resource.tf
# of its directory, against a store holding what it imports, and its plan must
# import. A list example (examples/list-resources/*/*.tfquery.hcl) is checked
# with `terraform validate -query` and `terraform query`.
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

# seed_imports makes, in the example's store, what the import examples import:
# the environments staging, prod and prod-eu-1, the releases api@1.4.2 and
# web@2.0.0, the deployment api/prod-eu-1 and the approval of web@2.0.0's
# prod phase.
seed_imports() {
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

resource "ocuroot_environment" "seeded" {
  for_each   = { staging = "staging", prod = "prod", "prod-eu-1" = "prod" }
  name       = each.key
  attributes = { type = each.value }
}

resource "ocuroot_release" "api" {
  package = "api"
  version = "1.4.2"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.seeded["prod-eu-1"].name]
  }
}

resource "ocuroot_release" "web" {
  package = "web"
  version = "2.0.0"
  phase {
    name         = "staging"
    environments = [ocuroot_environment.seeded["staging"].name]
  }
  phase {
    name              = "prod"
    environments      = [ocuroot_environment.seeded["prod"].name]
    requires_approval = true
  }
}

# No hook and no health check: the first deployment completes offline.
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.seeded["prod-eu-1"].name
  release     = ocuroot_release.api.id
}

resource "ocuroot_promotion" "web_prod_approval" {
  release = ocuroot_release.web.id
  phase   = "prod"
}
EOF
  OCUROOT_STORE="$dir/.terraform/ocuroot/store.db" \
    terraform -chdir="$dir/seed" apply -auto-approve -input=false -no-color >"$dir/seed.log" 2>&1
}

# seed_listing makes what seed_imports does, and a blue-green deployment of
# checkout in prod-eu-1 waiting at its promotion gate, so that every list
# block of the list examples finds something.
seed_listing() {
  local dir="$1"
  seed_imports "$dir" || return 1
  mkdir -p "$dir/seed-waiting"
  cat >"$dir/seed-waiting/main.tf" <<'EOF'
terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

variable "checkout_version" {
  type = string
}

resource "ocuroot_release" "checkout" {
  package = "checkout"
  version = var.checkout_version
  phase {
    name         = "prod"
    environments = ["prod-eu-1"]
  }
}

# The first release goes live; the second waits at the promotion gate.
resource "ocuroot_deployment" "checkout" {
  environment = "prod-eu-1"
  release     = ocuroot_release.checkout.id
  strategy    = "blue_green"
  blue_green {
    manual_promotion = true
  }
}
EOF
  local version
  for version in 1.0.0 1.1.0; do
    OCUROOT_STORE="$dir/.terraform/ocuroot/store.db" \
      terraform -chdir="$dir/seed-waiting" apply -auto-approve -input=false -no-color -var "checkout_version=$version" >>"$dir/seed.log" 2>&1 || return 1
  done
}

# unexpected_warnings prints the warnings of a log, less the dev_overrides one.
unexpected_warnings() {
  grep -E '^[│ ]*Warning: ' "$1" | grep -v 'Provider development overrides are in effect' || true
}

if [ "$#" -gt 0 ]; then
  examples=("$@")
else
  mapfile -t examples < <(find examples -type f \( -name '*.tf' -o -name '*.tfquery.hcl' \) | LC_ALL=C sort)
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
  result="ok"
  # What the example is: a configuration, an import beside its resource, or
  # a query.
  kind=config
  case "$example" in
    examples/resources/*/import-*.tf) kind=import ;;
    examples/list-resources/*) kind=query ;;
  esac

  # Actions and list resources need Terraform 1.14+, import by identity
  # 1.12+: checked with TF_EXTRA_TERRAFORM (see GNUmakefile), skipped
  # without it.
  tf=terraform
  needs=""
  case "$example" in
    examples/actions/*) needs="actions need Terraform 1.14+" ;;
    examples/list-resources/*) needs="list resources need Terraform 1.14+" ;;
    */import-by-identity.tf) needs="import by identity needs Terraform 1.12+" ;;
  esac
  if [ -n "$needs" ]; then
    if [ -z "${TF_EXTRA_TERRAFORM:-}" ]; then
      printf '%-60s %s\n' "$example" "skipped: $needs (set TF_EXTRA_TERRAFORM)"
      continue
    fi
    tf="$TF_EXTRA_TERRAFORM"
  fi

  case "$kind" in
    config) cp "$example" "$dir/main.tf" ;;
    import)
      cp "$(dirname "$example")/resource.tf" "$dir/main.tf"
      cp "$example" "$dir/import.tf"
      if ! seed_imports "$dir"; then
        result="FAILED: seeding the store (see below)"
        cat "$dir/seed.log"
      fi
      ;;
    query)
      cat >"$dir/main.tf" <<'EOF'
terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}
EOF
      cp "$example" "$dir/main.tfquery.hcl"
      if ! seed_listing "$dir"; then
        result="FAILED: seeding the store (see below)"
        cat "$dir/seed.log"
      fi
      ;;
  esac
  # The promotion example declares its approval only when a release is
  # named for it.
  example_env=()
  if [[ "$example" == examples/resources/ocuroot_promotion/import-* ]]; then
    example_env=(TF_VAR_approve_prod_release="web@2.0.0")
  fi

  if [ "$example" = "examples/data-sources/ocuroot_deployment/data-source.tf" ]; then
    if ! seed_deployment "$dir"; then
      result="FAILED: seeding the store (see below)"
      cat "$dir/seed.log"
    fi
  fi

  validate=(validate -no-color)
  run=(plan -input=false -no-color)
  if [ "$kind" = query ]; then
    validate=(validate -query -no-color)
    run=(query -no-color)
  fi
  if [ "$result" = "ok" ] && ! env "${example_env[@]}" "$tf" -chdir="$dir" "${validate[@]}" >"$dir/validate.log" 2>&1; then
    result="FAILED: terraform ${validate[*]}"
    cat "$dir/validate.log"
  fi
  if [ "$result" = "ok" ] && ! env "${example_env[@]}" "$tf" -chdir="$dir" "${run[@]}" >"$dir/plan.log" 2>&1; then
    result="FAILED: terraform ${run[*]}"
    cat "$dir/plan.log"
  fi
  if [ "$result" = "ok" ] && [ "$kind" = import ] && ! grep -qE '^Plan: [1-9][0-9]* to import' "$dir/plan.log"; then
    result="FAILED: the plan imports nothing"
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
