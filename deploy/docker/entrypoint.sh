#!/bin/sh
# Starts the service named by SERVICE; arguments pass through (migrate takes subgraph names).
set -eu
case "${SERVICE:?set SERVICE to gateway, a subgraph name or migrate}" in
  gateway) entry=gateway/src/server.ts ;;
  migrate) entry=scripts/migrate.ts ;;
  *) entry="subgraphs/${SERVICE}/src/server.ts" ;;
esac
if [ ! -f "$entry" ]; then
  echo "unknown SERVICE '${SERVICE}': there is no $entry" >&2
  exit 2
fi
# tsx as a loader rather than its CLI keeps node itself as PID 1, so SIGTERM reaches the
# service's drain handler instead of a wrapper process.
exec node --import tsx "$entry" "$@"
