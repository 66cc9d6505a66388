/**
 * The console's changes, each one API call as the console's principal: put a value, move a staging
 * label, rotate now, delete, restore. Every form must carry `confirmed=yes` (the dialog, or the box
 * ticked without script). A value posted here goes to PutSecretValue and nowhere else: never into a
 * notice, a redirect or a log.
 */
import { randomUUID } from 'node:crypto';
import { ConsoleApiError } from './api.js';
import { call, type PageContext } from './context.js';
import { nameOfArn, regionOf, secretHref } from './pages/layout.js';
import type { Flash } from './security.js';

export const ACTIONS = ['put', 'stage', 'rotate', 'delete', 'restore'] as const;
export type Action = (typeof ACTIONS)[number];

export interface ActionResult {
  flash: Flash;
  /** Where the browser goes next (303). */
  redirect: string;
}

const field = (form: URLSearchParams, name: string): string => (form.get(name) ?? '').trim();

async function perform(
  ctx: PageContext,
  action: Action,
  arn: string,
  form: URLSearchParams,
): Promise<ActionResult> {
  const region = regionOf(arn);
  const name = nameOfArn(arn);
  const back = secretHref(arn);
  const ok = (text: string, redirect = back): ActionResult => ({
    flash: { kind: 'success', text },
    redirect,
  });
  const refuse = (text: string): ActionResult => ({ flash: { kind: 'error', text }, redirect: back });
  switch (action) {
    case 'put': {
      const value = form.get('value') ?? '';
      if (value === '') return refuse('Type the new value first.');
      const current = form.get('current') === 'yes';
      const label = field(form, 'label');
      if (!current && label === '') return refuse('Give the new version a label, or make it AWSCURRENT.');
      const stages = [...(current ? ['AWSCURRENT'] : []), ...(label !== '' ? [label] : [])];
      const answer = await call<{ VersionId?: string }>(ctx, region, 'PutSecretValue', {
        SecretId: arn,
        SecretString: value,
        ClientRequestToken: randomUUID(),
        VersionStages: stages,
      });
      return ok(`Put a new version of ${name}: ${answer.VersionId ?? ''} (${stages.join(', ')}).`);
    }
    case 'stage': {
      const stage = field(form, 'stage');
      const version = field(form, 'version');
      if (stage === '') return refuse('Name the label to move.');
      const described = await call<{ VersionIdsToStages?: Record<string, string[]> }>(
        ctx,
        region,
        'DescribeSecret',
        { SecretId: arn },
      );
      const holder = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes(stage),
      )?.[0];
      if (version === '' && holder === undefined)
        return refuse(`No version of ${name} has the label ${stage}.`);
      if (version !== '' && holder === version) return refuse(`Version ${version} already has ${stage}.`);
      await call(ctx, region, 'UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: stage,
        ...(version !== '' && { MoveToVersionId: version }),
        ...(holder !== undefined && { RemoveFromVersionId: holder }),
      });
      return ok(
        version === ''
          ? `Removed ${stage} from version ${holder ?? ''}.`
          : `Moved ${stage} to version ${version}${holder ? ` (from ${holder})` : ''}.`,
      );
    }
    case 'rotate': {
      const lambda = field(form, 'lambda');
      const answer = await call<{ VersionId?: string }>(ctx, region, 'RotateSecret', {
        SecretId: arn,
        ClientRequestToken: randomUUID(),
        ...(lambda !== '' && { RotationLambdaARN: lambda }),
      });
      return ok(`Rotation of ${name} started (version ${answer.VersionId ?? ''}).`, `${back}#rotation`);
    }
    case 'delete': {
      const force = form.get('force') === 'yes';
      const days = Number(field(form, 'days') || '30');
      const answer = await call<{ DeletionDate?: number }>(ctx, region, 'DeleteSecret', {
        SecretId: arn,
        ...(force ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: days }),
      });
      if (force)
        return ok(`Deleted ${name} for good.`, `/console/secrets?region=${encodeURIComponent(region)}`);
      const date =
        answer.DeletionDate === undefined
          ? ''
          : new Date(answer.DeletionDate * 1000).toISOString().slice(0, 10);
      return ok(`Scheduled ${name} for deletion on ${date}; restore it before then to keep it.`);
    }
    case 'restore': {
      await call(ctx, region, 'RestoreSecret', { SecretId: arn });
      return ok(`Restored ${name}.`);
    }
  }
}

export async function runAction(
  ctx: PageContext,
  action: Action,
  form: URLSearchParams,
): Promise<ActionResult> {
  const arn = field(form, 'arn');
  if (!arn.startsWith('arn:'))
    return { flash: { kind: 'error', text: 'No secret named.' }, redirect: '/console/secrets' };
  if (form.get('confirmed') !== 'yes') {
    return {
      flash: { kind: 'error', text: 'Nothing was done: confirm the action first.' },
      redirect: secretHref(arn),
    };
  }
  try {
    return await perform(ctx, action, arn, form);
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    return { flash: { kind: 'error', text: `${error.code}: ${error.message}` }, redirect: secretHref(arn) };
  }
}
