#!/usr/bin/env bash
# Times what Terraform users wait for, against the floor of Terraform's own
# per-resource cost: each ocuroot configuration runs beside the same graph of
# built-in terraform_data resources, interleaved in one run so that both see
# the same machine load.
#
# Scenarios, for each size N:
#   environments  N ocuroot_environment             vs N terraform_data
#   deployments   N environments, one release with   vs the same 2N+1 resources
#                 one phase of all of them and N        as terraform_data, wired
#                 direct deployments whose hook is      the same way
#                 a loopback target answering at once
# Operations: create (terraform apply), no-change plan (terraform plan, which
# must report no changes) and update (an apply of a new release, or of a new
# environment attribute). The provider's peak RSS is read from /proc while
# the ocuroot runs go on.
#
# Usage: scripts/bench-terraform.sh [N ...]    (default: 200 1000, or $BENCH_SIZES)
#
# Offline by construction: the provider and the demo target are built into a
# temporary directory, the provider is wired in through a dev_overrides CLI
# configuration, so `terraform init` is never run and no registry is
# contacted (terraform_data is built into Terraform). Set PROVIDER_BINARY to
# time an already built provider instead (for before/after comparisons).
set -euo pipefail

read -r -a sizes <<<"${*:-${BENCH_SIZES:-200 1000}}"
for n in "${sizes[@]}"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [N ...]   (N: a positive number of resources, got '$n')" >&2
    exit 2
  fi
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/ocuroot-bench.XXXXXX")"
target_pid=""
cleanup() {
  if [[ -n "$target_pid" ]]; then kill "$target_pid" 2>/dev/null || true; fi
  rm -rf "$work_dir"
}
trap cleanup EXIT

command -v terraform >/dev/null 2>&1 || { echo "terraform is not on PATH" >&2; exit 1; }

plugin_dir="$work_dir/plugins"
mkdir -p "$plugin_dir"
provider_binary="$plugin_dir/terraform-provider-ocuroot"
echo "==> Building the provider and the demo target"
if [[ -n "${PROVIDER_BINARY:-}" ]]; then
  cp "$PROVIDER_BINARY" "$provider_binary"
else
  (cd "$repo_root" && go build -o "$provider_binary" .)
fi
(cd "$repo_root" && go build -o "$work_dir/ocuroot-demo-target" ./cmd/ocuroot-demo-target)

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
# embedded store; a caller's settings must not merge them or point elsewhere.
unset TF_DATA_DIR OCUROOT_STORE TF_LOG TF_LOG_PROVIDER
# One secret for the provider (which signs) and the target (which verifies).
export OCUROOT_HOOK_SECRET="bench-$RANDOM$RANDOM"

# The loopback hook target: answers every hook at once.
"$work_dir/ocuroot-demo-target" -listen 127.0.0.1:0 -addr-file "$work_dir/target.addr" 2>"$work_dir/target.log" &
target_pid=$!
for _ in $(seq 100); do
  [[ -s "$work_dir/target.addr" ]] && break
  sleep 0.1
done
[[ -s "$work_dir/target.addr" ]] || { cat "$work_dir/target.log" >&2; echo "the demo target did not start" >&2; exit 1; }
target_url="http://$(cat "$work_dir/target.addr")"

ocuroot_header='terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}
'

# write_configs N: one directory per scenario and kind, for size N.
write_configs() {
  local n="$1" dir="$work_dir/n$1"
  mkdir -p "$dir/environments-ocuroot" "$dir/environments-data" "$dir/deployments-ocuroot" "$dir/deployments-data"

  cat >"$dir/environments-ocuroot/main.tf" <<HCL
$ocuroot_header
variable "generation" {
  type    = string
  default = "1"
}

resource "ocuroot_environment" "bench" {
  count = $n
  name  = "bench-\${count.index}"
  attributes = {
    type       = "bench"
    generation = var.generation
  }
}
HCL

  cat >"$dir/environments-data/main.tf" <<HCL
variable "generation" {
  type    = string
  default = "1"
}

resource "terraform_data" "bench" {
  count = $n
  input = {
    name       = "bench-\${count.index}"
    type       = "bench"
    generation = var.generation
  }
}
HCL

  cat >"$dir/deployments-ocuroot/main.tf" <<HCL
$ocuroot_header
variable "release_version" {
  type    = string
  default = "1"
}

resource "ocuroot_environment" "bench" {
  count      = $n
  name       = "bench-\${count.index}"
  attributes = { type = "bench" }
}

resource "ocuroot_release" "api" {
  package = "api"
  version = var.release_version
  phase {
    name         = "all"
    environments = ocuroot_environment.bench[*].name
  }
}

resource "ocuroot_deployment" "bench" {
  count       = $n
  environment = ocuroot_environment.bench[count.index].name
  release     = ocuroot_release.api.id
  hook {
    url = "$target_url/hooks"
  }
}
HCL

  cat >"$dir/deployments-data/main.tf" <<HCL
variable "release_version" {
  type    = string
  default = "1"
}

resource "terraform_data" "environment" {
  count = $n
  input = { name = "bench-\${count.index}", type = "bench" }
}

resource "terraform_data" "release" {
  input = {
    id           = "api@\${var.release_version}"
    environments = terraform_data.environment[*].output.name
  }
}

resource "terraform_data" "deployment" {
  count = $n
  input = {
    environment = terraform_data.environment[count.index].output.name
    release     = terraform_data.release.output.id
    hook        = "$target_url/hooks"
  }
}
HCL
}

now() { date +%s.%N; }
elapsed() { awk -v start="$1" -v end="$2" 'BEGIN { printf "%.2f", end - start }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# Peak RSS of the provider: VmHWM (the process's own high-water mark) of
# every process running this provider binary, sampled with shell builtins
# only so that the sampling costs the measured runs next to nothing.
peak_file="$work_dir/peak_kib"
sample_provider_rss() {
  local peak=0 pid cmd key value unit
  while :; do
    for pid in /proc/[0-9]*; do
      cmd=""
      { IFS= read -r -d '' cmd <"$pid/cmdline"; } 2>/dev/null || true
      [[ "$cmd" == "$provider_binary" ]] || continue
      while read -r key value unit; do
        if [[ "$key" == "VmHWM:" ]] && ((value > peak)); then
          peak=$value
          echo "$peak" >"$peak_file"
        fi
      done <"$pid/status" 2>/dev/null || true
    done
    sleep 0.2
  done
}

# run_timed LABEL DIR EXPECT_EXIT ARGS...: runs terraform in DIR, sets
# seconds; the log is shown on failure. EXPECT_EXIT is the exit code that
# means success (plan -detailed-exitcode: 0 = no changes).
run_timed() {
  local label="$1" dir="$2" expect="$3" log start code=0
  shift 3
  log="$work_dir/$(basename "$(dirname "$dir")")-$(basename "$dir")-$label.log"
  start="$(now)"
  terraform -chdir="$dir" "$@" -input=false -no-color >"$log" 2>&1 || code=$?
  seconds="$(elapsed "$start" "$(now)")"
  if [[ "$code" != "$expect" ]]; then
    tail -n 60 "$log" >&2
    echo "terraform $* in $dir exited $code, expected $expect (log above)" >&2
    exit 1
  fi
}

rows=()
# measure N SCENARIO OPERATION VAR_ARGS...: the ocuroot run, then the
# terraform_data run of the same operation, and one row for the table.
measure() {
  local n="$1" scenario="$2" operation="$3" dir="$work_dir/n$1/$2" ocuroot_seconds data_seconds
  shift 3
  local -a args
  case "$operation" in
    create | update) args=(apply -auto-approve "$@") ;;
    "no-change plan") args=(plan -detailed-exitcode "$@") ;;
  esac
  echo "==> N=$n $scenario: $operation"
  run_timed "${operation// /-}" "$dir-ocuroot" 0 "${args[@]}"
  ocuroot_seconds="$seconds"
  run_timed "${operation// /-}" "$dir-data" 0 "${args[@]}"
  data_seconds="$seconds"
  rows+=("$(printf '%6s  %-12s %-15s %10s %16s %7s' "$n" "$scenario" "$operation" "$ocuroot_seconds" "$data_seconds" "$(ratio "$ocuroot_seconds" "$data_seconds")")")
  echo "    ocuroot ${ocuroot_seconds}s, terraform_data ${data_seconds}s"
}

sample_provider_rss &
sampler_pid=$!
trap 'kill "$sampler_pid" 2>/dev/null || true; cleanup' EXIT

peaks=()
for n in "${sizes[@]}"; do
  write_configs "$n"
  echo 0 >"$peak_file"
  measure "$n" environments create
  measure "$n" deployments create
  measure "$n" environments "no-change plan"
  measure "$n" deployments "no-change plan"
  measure "$n" environments update -var generation=2
  measure "$n" deployments update -var release_version=2
  peaks+=("$(printf '%6s  %s MiB' "$n" "$(awk -v k="$(cat "$peak_file")" 'BEGIN { printf "%.0f", k / 1024 }')")")
done

echo
printf '%6s  %-12s %-15s %10s %16s %7s\n' "N" "scenario" "operation" "ocuroot (s)" "terraform_data (s)" "ratio"
printf '%s\n' "${rows[@]}"
echo
echo "Provider peak RSS (largest of any provider process during the runs of that size):"
printf '%s\n' "${peaks[@]}"
