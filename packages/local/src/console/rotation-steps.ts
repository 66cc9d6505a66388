/**
 * The steps of a secret's last rotation, read back from the audit log's RotationStep entries (the
 * record of what the rotation functions did, kept in memory for the most recent calls).
 */
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

type StepState = 'done' | 'failed' | 'running' | 'waiting' | 'not run';

export interface StepView {
  step: string;
  state: StepState;
  /** The audit entry of a finished step. */
  entry?: AuditEntry;
}

const ended = (entry: AuditEntry): boolean => entry.outcome === 'error' || entry.step === 'finishSecret';

/** The last rotation's steps, or undefined when none is in the audit log's memory and none is running. */
export function lastRotation(audit: AuditLog, arn: string, running: boolean): StepView[] | undefined {
  let group: AuditEntry[] | undefined;
  for (const entry of audit.recent()) {
    if (entry.operation !== 'RotationStep' || entry.secretArn !== arn) continue;
    const previous = group?.at(-1);
    if (group === undefined || entry.step === 'createSecret' || (previous !== undefined && ended(previous))) {
      group = [];
    }
    group.push(entry);
  }
  const last = group?.at(-1);
  if (running && (group === undefined || (last !== undefined && ended(last)))) group = [];
  if (group === undefined) return undefined;
  let blocked = false;
  let runningShown = false;
  return STEPS.map((step): StepView => {
    const entry = group.find((e) => e.step === step);
    if (entry !== undefined) {
      if (entry.outcome === 'error') blocked = true;
      return { step, state: entry.outcome === 'error' ? 'failed' : 'done', entry };
    }
    if (!running || blocked) return { step, state: 'not run' };
    if (!runningShown) {
      runningShown = true;
      return { step, state: 'running' };
    }
    return { step, state: 'waiting' };
  });
}
