/**
 * The Train page's run: the worker client's lifetime, the run's state (trainRunReducer), the runs
 * saved in this browser, and the requests the page makes of the worker (start, pause, resume,
 * stop, discard, publish).
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { backendsToAvoid } from '@/lib/runtime/backend-checks';
import { TrainClient } from '@/lib/runtime/train-client';
import type { SavedRun, TrainEvent, TrainSettings } from '@/lib/runtime/train-protocol';
import { publishModel } from '@/lib/api/models';
import { type Control, initialTrainRun, trainRunReducer } from './train-run-reducer';

export interface PublishState {
  name: string;
  setName: (name: string) => void;
  busy: boolean;
  /** The id of the model just published. */
  published?: string;
  error?: string;
}

export function useTrainRun({ onPublished }: { onPublished: () => Promise<void> }) {
  const client = useRef<TrainClient | null>(null);
  const [state, dispatch] = useReducer(trainRunReducer, initialTrainRun);
  const [saved, setSaved] = useState<SavedRun[]>([]);
  const [savedError, setSavedError] = useState<string>();
  const [publishName, setPublishName] = useState('');
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<string>();
  const [publishError, setPublishError] = useState<string>();

  const refreshSaved = useCallback(async () => {
    const c = client.current;
    if (!c || c.dead) return;
    try {
      setSaved(await c.list());
      setSavedError(undefined);
    } catch (err) {
      // Not "no saved run": the runs may well be there, unreadable for now.
      setSavedError((err as Error).message);
    }
  }, []);

  // A run open in another tab frees when that tab closes: look again every few seconds meanwhile.
  // (The look is locks.query(), which neither waits for the lock nor keeps that tab from its run.)
  const openElsewhere = saved.some((s) => s.openElsewhere);
  useEffect(() => {
    if (!openElsewhere) return;
    const timer = setInterval(() => void refreshSaved(), 3000);
    return () => clearInterval(timer);
  }, [openElsewhere, refreshSaved]);

  useEffect(() => {
    client.current = new TrainClient();
    // A run this page left a moment ago may still be saving: list once it is done, not as open elsewhere.
    void TrainClient.afterClosing().then(refreshSaved);
    // Another tab may have started, ended or discarded a run meanwhile.
    const onVisible = () => document.visibilityState === 'visible' && void refreshSaved();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      // Navigating away inside the app unmounts this page: a live run pauses and saves its
      // checkpoint before the worker ends, rather than losing the steps since the last one.
      void client.current?.close();
      client.current = null;
    };
  }, [refreshSaved]);

  const { phase } = state;
  useEffect(() => {
    if (phase !== 'running') return;
    // Leaving the site or reloading ends the worker mid-run: ask first.
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    const timer = setInterval(() => dispatch({ type: 'tick', now: performance.now() }), 500);
    return () => {
      window.removeEventListener('beforeunload', warn);
      clearInterval(timer);
    };
  }, [phase]);

  const onEvent = useCallback((event: TrainEvent) => dispatch({ type: 'event', event, now: performance.now() }), []);

  const begin = async (settings: TrainSettings, resumeRunId?: string) => {
    // A crashed worker is gone: a fresh one resumes from the checkpoint.
    if (client.current?.dead) client.current = new TrainClient();
    const c = client.current;
    if (!c) return;
    dispatch({ type: 'begin', settings });
    setPublished(undefined);
    setPublishError(undefined);
    void refreshSaved(); // the run that was on screen is listed again
    try {
      await c.start(settings, resumeRunId, onEvent, backendsToAvoid());
    } catch (err) {
      dispatch({ type: 'failed', message: (err as Error).message });
    } finally {
      void refreshSaved();
    }
  };

  const control = async (action: Control) => {
    dispatch({ type: 'control', control: action });
    try {
      await client.current?.[action]();
    } catch (err) {
      dispatch({ type: 'control-failed', message: (err as Error).message });
    }
  };

  const discard = async (runId: string) => {
    const c = client.current;
    if (!c) return;
    await c.discard(runId);
    dispatch({ type: 'discarded', runId });
    await refreshSaved();
  };

  const publish = async () => {
    const c = client.current;
    if (!c) return;
    setPublishing(true);
    setPublishError(undefined);
    try {
      const entry = await publishModel(await c.publish(publishName));
      setPublished(entry.card.id);
      await onPublished();
    } catch (err) {
      setPublishError((err as Error).message);
    } finally {
      setPublishing(false);
    }
  };

  const publishState: PublishState = {
    name: publishName,
    setName: setPublishName,
    busy: publishing,
    published,
    error: publishError,
  };
  return { ...state, saved, savedError, begin, control, discard, publish, publishState };
}
