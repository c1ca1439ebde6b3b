import { createContext, useContext } from 'react';

export type Role = 'ADMIN' | 'SALES' | 'MARKETING' | 'VIEWER';
export type Session = { token: string; name: string; userId: string; roles: Role[]; expiresAt: number };

// The claims a token carries, read (not verified: the gateway does that) to greet the user and
// to hide actions their roles cannot take.
export function sessionFromToken(token: string): Session {
  const [, payload] = token.split('.');
  if (!payload) throw new Error('That is not a JWT');
  const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; name?: string; roles?: string[] | string; exp?: number };
  const roles = (Array.isArray(claims.roles) ? claims.roles : String(claims.roles ?? '').split(' ')).filter(Boolean) as Role[];
  return { token, userId: claims.sub ?? '', name: claims.name ?? claims.sub ?? 'Unknown user', roles, expiresAt: (claims.exp ?? 0) * 1000 };
}

export const SessionContext = createContext<{ session: Session; signOut(): void } | null>(null);

export function useSession() {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in page');
  return value;
}

// Whether the user may make changes (createCustomer, logInteraction, createOrder): ADMIN or SALES.
export const canWrite = (session: Session) => session.roles.some((role) => role === 'ADMIN' || role === 'SALES');
