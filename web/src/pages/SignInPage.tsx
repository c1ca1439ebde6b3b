import { useEffect, useState, type FormEvent } from 'react';
import { sessionFromToken } from '../session';

type DemoUser = { id: string; name: string; roles: string[] };

// Development gateways hand out tokens for the demo users (GET /dev/demo-users, POST
// /dev/demo-token); elsewhere the user pastes a token from their identity provider.
export function SignInPage({ onSignedIn, notice }: { onSignedIn(token: string): void; notice?: string }) {
  const [demoUsers, setDemoUsers] = useState<DemoUser[] | null>(null);
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    fetch('/dev/demo-users')
      .then((response) => (response.ok ? response.json() : { users: [] }))
      .then((body: { users: DemoUser[] }) => setDemoUsers(body.users))
      .catch(() => setDemoUsers([]));
  }, []);
  const signInAs = async (user: string) => {
    setError(undefined);
    try {
      const response = await fetch('/dev/demo-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
      if (!response.ok) return setError(`The gateway refused a token for ${user} (HTTP ${response.status})`);
      onSignedIn(((await response.json()) as { token: string }).token);
    } catch {
      setError('The gateway could not be reached; try again');
    }
  };
  const usePasted = (event: FormEvent) => {
    event.preventDefault();
    const token = pasted.trim().replace(/^Bearer\s+/i, '');
    try {
      sessionFromToken(token);
      onSignedIn(token);
    } catch {
      setError('That is not a bearer token (a JWT)');
    }
  };
  return (
    <main className="sign-in">
      <h1>Federated CRM</h1>
      {notice && <p className="notice">{notice}</p>}
      {demoUsers && demoUsers.length > 0 && (
        <section>
          <h2>Sign in as a demo user</h2>
          <ul className="demo-users">
            {demoUsers.map((user) => (
              <li key={user.id}>
                <button type="button" onClick={() => void signInAs(user.id)} data-testid={`sign-in-${user.id}`}>
                  {user.name} <span className="role">{user.roles.join(', ')}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <form onSubmit={usePasted}>
        <h2>{demoUsers?.length ? 'Or use a token' : 'Sign in with a token'}</h2>
        <label>
          Bearer token
          <textarea value={pasted} onChange={(event) => setPasted(event.target.value)} rows={3} name="token" />
        </label>
        <button type="submit">Use this token</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
