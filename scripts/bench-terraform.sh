#!/usr/bin/env bash
# Times `terraform plan` and `terraform apply` of N ocuroot_environment
# resources against N built-in terraform_data resources, to show what the
# provider adds on top of Terraform's own per-resource cost.
#
# Usage: scripts/bench-terraform.sh [N]      (N defaults to 200, or $BENCH_RESOURCES)
#
# Offline by construction: the provider is built into a temporary directory and
# wired in through a dev_overrides CLI configuration, so `terraform init` is never
# run and no registry is contacted (terraform_data is built into Terraform).
# Set PROVIDER_BINARY to time an already built provider instead.
set -euo pipefail

resource_count="${1:-${BENCH_RESOURCES:-200}}"
if ! [[ "$resource_count" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [N]   (N: a positive number of resources, got '$resource_count')" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/ocuroot-bench.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

command -v terraform >/dev/null 2>&1 || { echo "terraform is not on PATH" >&2; exit 1; }

plugin_dir="$work_dir/plugins"
mkdir -p "$plugin_dir"
if [[ -n "${PROVIDER_BINARY:-}" ]]; then
  cp "$PROVIDER_BINARY" "$plugin_dir/terraform-provider-ocuroot"
else
  echo "==> Building the provider"
  (cd "$repo_root" && go build -o "$plugin_dir/terraform-provider-ocuroot" .)
fi

cat >"$work_dir/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/ocuroot/ocuroot" = "$plugin_dir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work_dir/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0
# Each configuration keeps its own data directory and therefore its own
# embedded store; a caller's TF_DATA_DIR must not merge the two.
unset TF_DATA_DIR

mkdir -p "$work_dir/ocuroot" "$work_dir/terraform_data"

cat >"$work_dir/ocuroot/main.tf" <<HCL
terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

resource "ocuroot_environment" "bench" {
  count = $resource_count

  name = "bench-\${count.index}"
  attributes = {
    type  = "bench"
    index = tostring(count.index)
  }
}
HCL

cat >"$work_dir/terraform_data/main.tf" <<HCL
resource "terraform_data" "bench" {
  count = $resource_count

  input = {
    name  = "bench-\${count.index}"
    type  = "bench"
    index = tostring(count.index)
  }
}
HCL

now() { date +%s.%N; }
elapsed() { awk -v start="$1" -v end="$2" 'BEGIN { printf "%.2f", end - start }'; }

# time_terraform DIR LABEL: runs plan then apply in DIR, quietly, and sets
# plan_seconds and apply_seconds. Terraform's output is kept for failures.
time_terraform() {
  local dir="$1" label="$2" log="$work_dir/$2.log" start
  echo "==> $label: terraform plan and apply of $resource_count resources"
  start="$(now)"
  if ! terraform -chdir="$dir" plan -input=false -no-color -out=bench.tfplan >"$log" 2>&1; then
    cat "$log" >&2
    echo "terraform plan failed for $label" >&2
    exit 1
  fi
  plan_seconds="$(elapsed "$start" "$(now)")"
  start="$(now)"
  if ! terraform -chdir="$dir" apply -input=false -no-color bench.tfplan >>"$log" 2>&1; then
    cat "$log" >&2
    echo "terraform apply failed for $label" >&2
    exit 1
  fi
  apply_seconds="$(elapsed "$start" "$(now)")"
}

time_terraform "$work_dir/ocuroot" ocuroot_environment
ocuroot_plan="$plan_seconds" ocuroot_apply="$apply_seconds"
time_terraform "$work_dir/terraform_data" terraform_data
data_plan="$plan_seconds" data_apply="$apply_seconds"

echo
printf '%-22s %10s %10s\n' "resources ($resource_count)" "plan (s)" "apply (s)"
printf '%-22s %10s %10s\n' "ocuroot_environment" "$ocuroot_plan" "$ocuroot_apply"
printf '%-22s %10s %10s\n' "terraform_data" "$data_plan" "$data_apply"
