import { existsSync } from 'node:fs';
import { DEMO_USERS, mintDevelopmentToken, type DemoUser } from '../gateway/src/authentication';

// `npm run token -- <admin|sales|marketing|viewer> [lifetime]`: a bearer token for a demo user,
// signed with the development secret. Refused in production.
async function main() {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [user = 'admin', lifetime = '12h'] = process.argv.slice(2);
  if (!(user in DEMO_USERS)) throw new Error(`Unknown demo user "${user}": use one of ${Object.keys(DEMO_USERS).join(', ')}`);
  console.log(await mintDevelopmentToken(user as DemoUser, lifetime));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
