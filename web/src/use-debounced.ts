import { useCallback, useEffect, useRef } from 'react';

// A function that runs `run` once `ms` after its last call, with the values of the latest
// render (a burst of events costs one read), and never after the component is gone.
export function useDebounced(run: () => void, ms: number): () => void {
  const latest = useRef(run);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    latest.current = run;
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  }, [ms]);
}
