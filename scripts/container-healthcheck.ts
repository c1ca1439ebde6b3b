import { processSettings, type ServiceName } from '../lib/config';

// The container image's HEALTHCHECK. It finds the port the way the service does
// (<SERVICE>_PORT, PORT, default), so moving a service to another port needs no second setting.
const port = processSettings().ports[process.env.SERVICE as ServiceName];
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3_000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
