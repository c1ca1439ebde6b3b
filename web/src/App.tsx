import { useEffect, useState } from 'react';
import { ApolloProvider } from '@apollo/client/react';
import { Link, Route, Routes } from 'react-router';
import { createConsoleClient, type ConsoleClient, type LiveState } from './apollo/client';
import { MissingPartsContext } from './apollo/missing-parts';
import { CatchUpContext } from './apollo/catch-up';
import { SessionContext, sessionFromToken, type Session } from './session';
import { SignInPage } from './pages/SignInPage';
import { CustomersPage } from './pages/CustomersPage';
import { CustomerPage } from './pages/CustomerPage';
import { CustomerFormPage } from './pages/CustomerFormPage';

const TOKEN_KEY = 'crm-console-token';

// The signed-in session survives a reload of the tab (sessionStorage), not the tab itself.
function storedSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    const session = sessionFromToken(token);
    return session.expiresAt > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export function App() {
  const [session, setSession] = useState<Session | null>(storedSession);
  const [notice, setNotice] = useState<string>();
  const [live, setLive] = useState<LiveState>('idle');
  const signOut = (reason?: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setNotice(reason);
    setSession(null);
  };
  const [client, setClient] = useState<ConsoleClient | null>(null);
  // Made and closed by an effect, so a client is never used after it was closed (React may
  // run effects twice in development).
  useEffect(() => {
    if (!session) return;
    const created = createConsoleClient(session.token, signOut, setLive);
    setClient(created);
    return () => {
      created.close();
      setClient(null);
      setLive('idle');
    };
  }, [session]);
  if (!session) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={(token) => {
          sessionStorage.setItem(TOKEN_KEY, token);
          setNotice(undefined);
          setSession(sessionFromToken(token));
        }}
      />
    );
  }
  if (!client) return null;
  return (
    <SessionContext.Provider value={{ session, signOut: () => signOut() }}>
      <ApolloProvider client={client.apollo}>
        <MissingPartsContext.Provider value={client.missingParts}>
        <CatchUpContext.Provider value={client.catchUp}>
        <header className="top-bar">
          <Link to="/" className="brand">
            Federated CRM
          </Link>
          {live !== 'idle' && (
            <span className={`live-status live-${live}`} data-testid="live-status">
              {live === 'live' ? 'live' : 'reconnecting…'}
            </span>
          )}
          <span className="signed-in" data-testid="signed-in-user">
            {session.name} <span className="role">{session.roles.join(', ')}</span>
          </span>
          <button type="button" onClick={() => signOut()} data-testid="sign-out">
            Sign out
          </button>
        </header>
        <main>
          <Routes>
            <Route path="/" element={<CustomersPage />} />
            <Route path="/customers/new" element={<CustomerFormPage />} />
            <Route path="/customers/:id" element={<CustomerPage />} />
            <Route path="/customers/:id/edit" element={<CustomerFormPage />} />
            <Route path="*" element={<p>Nothing here. <Link to="/">Back to the customers</Link></p>} />
          </Routes>
        </main>
        </CatchUpContext.Provider>
        </MissingPartsContext.Provider>
      </ApolloProvider>
    </SessionContext.Provider>
  );
}
