// One server read shown on a screen: loading, the last answer, an error in words, reload; and
// optionally a quiet refresh on a timer while the page is visible (a dashboard watching payments).
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import { errorMessage } from '../lib/api';

export interface Resource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** Read again; `quiet` keeps the current data on screen meanwhile. */
  reload: (quiet?: boolean) => Promise<void>;
  /** Change the data locally after an action; a read already under way is ignored. */
  mutate: (f: (d: T | null) => T | null) => void;
}

export function useResource<T>(load: () => Promise<T>, deps: DependencyList, refreshMs = 0): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async (quiet = false) => {
    const n = ++seq.current;
    if (!quiet) setLoading(true);
    try {
      const v = await loadRef.current();
      if (n !== seq.current) return;
      setData(v);
      setError(null);
    } catch (e) {
      if (n === seq.current) setError(errorMessage(e));
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, []);

  const mutate = useCallback((f: (d: T | null) => T | null) => {
    seq.current++;
    setLoading(false);
    setData(f);
  }, []);

  useEffect(() => {
    setData(null);
    setError(null);
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(() => {
      if (document.visibilityState !== 'hidden') void reload(true);
    }, refreshMs);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refreshMs, reload, ...deps]);

  return { data, error, loading, reload, mutate };
}
