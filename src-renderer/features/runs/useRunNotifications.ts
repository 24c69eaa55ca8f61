import { useEffect, useRef } from 'react';
import { TERMINAL_RUN_STATES, type RunRecord } from '../../../src-shared/model/run';
import { useCospecEvent } from '../../api/client';
import { navigate } from '../../app/navigation';
import { STATE_LABELS } from './format';

/**
 * A desktop notification when a run ends; clicking it brings the window forward on the
 * run. Mount once, at the app root. Runs seen ending before the hook mounted are not announced,
 * and each run is announced once even when later events repeat its final state.
 */
export function useRunFinishedNotifications(): void {
  const announced = useRef(new Set<string>());
  useEffect(() => {
    if (typeof Notification !== 'undefined' && Notification.permission === 'default')
      void Notification.requestPermission();
  }, []);
  useCospecEvent('runs.didChange', (run: RunRecord) => {
    if (!TERMINAL_RUN_STATES.includes(run.state) || announced.current.has(run.id)) return;
    announced.current.add(run.id);
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const outputs = run.outputs.length;
    const notification = new Notification(`Run ${STATE_LABELS[run.state].toLowerCase()}: ${run.spec.projectPath}`, {
      body: run.detail ?? (outputs ? `${outputs} output${outputs === 1 ? '' : 's'}` : undefined),
      tag: `run-${run.id}`,
    });
    notification.onclick = () => {
      window.focus();
      navigate(`#/runs/${run.id}`);
    };
  });
}
