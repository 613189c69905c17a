#!/usr/bin/env bash
# The backend conformance kit: checks a running backend against openapi.yaml, requirement by
# requirement, and prints each with the spec's words. Exits 1 when one is not met.
# Usage: scripts/conformance.sh URL [--token CREATOR_TOKEN] [--stream ID]
#   e.g. scripts/conformance.sh http://127.0.0.1:8080 --token demo-token
set -euo pipefail
cd "$(dirname "$0")/.."
exec node conformance/check.mjs "$@"
