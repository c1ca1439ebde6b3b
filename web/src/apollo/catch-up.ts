import { createContext, useContext, useEffect, useRef } from 'react';

// Moments when a page may have missed events and should read what it shows again: the
// WebSocket came back after a drop, or a subscription was told the events since its last one
// are gone. Each page reads itself again its own way (the list as many rows as it shows).
export class CatchUp {
  private readonly listeners = new Set<() => void>();

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  announce(): void {
    for (const listener of this.listeners) listener();
  }
}

export const CatchUpContext = createContext<CatchUp>(new CatchUp());

export const useCatchUpSignal = () => useContext(CatchUpContext);

export function useCatchUp(readAgain: () => void): void {
  const catchUp = useCatchUpSignal();
  const latest = useRef(readAgain);
  useEffect(() => {
    latest.current = readAgain;
  });
  useEffect(() => catchUp.listen(() => latest.current()), [catchUp]);
}
