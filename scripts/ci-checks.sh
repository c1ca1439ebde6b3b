#!/usr/bin/env bash
# Deployment checks for CI, after `npm ci`: schema changes, the compose file, the Kubernetes
# manifests. All offline; docker-compose comes from Debian because there is no Docker engine here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Schema check"
npm run --silent schema:check

echo "== docker-compose.yml"
if ! command -v docker-compose >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq docker-compose >/dev/null
  fi
fi
if command -v docker-compose >/dev/null; then
  # The file demands real secrets; any value shows whether it is well-formed.
  INTERNAL_JWT_SECRET=ci-placeholder docker-compose -f docker-compose.yml config -q
  echo "docker-compose.yml is valid."
else
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! SKIPPED: docker-compose.yml NOT validated: no docker-compose, and apt-get cannot install it"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
fi

echo "== Kubernetes manifests"
npx --no-install tsx scripts/k8s-validate.ts deploy/k8s
