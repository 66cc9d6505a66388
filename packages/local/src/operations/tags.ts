import { invalidParameter, limitExceeded } from '../protocol/errors.js';
import type { Input } from '../protocol/input.js';
import type { Tag } from '../store/store.js';
import { type Operation, resolveSecret, SECRET_ID } from './context.js';

const MAX_TAGS = 50;

export function readTags(input: Input, name: string): Tag[] {
  const members = input.objectList(name) ?? [];
  const tags = members.map((member, index) => {
    const Key = member.string('Key', { required: true, min: 1, max: 128 });
    const Value = member.string('Value', { max: 256 }) ?? '';
    input.adopt(member, `${name}.${index + 1}.member`);
    return { Key, Value };
  });
  for (const tag of tags) {
    // A missing Key is already a validation error (reported by input.done()); nothing to check here.
    if (tag.Key?.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Invalid tag key ${tag.Key}: the aws: prefix is reserved for AWS use.`);
    }
  }
  return tags;
}

/** Adds or overwrites tags by key, keeping the order they were first added in. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const tag of added) merged.set(tag.Key, tag.Value);
  if (merged.size > MAX_TAGS) {
    throw limitExceeded(
      `A secret can have at most ${MAX_TAGS} tags; this request would make ${merged.size}.`,
    );
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

export const tagResource: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.require('Tags');
  const tags = readTags(input, 'Tags');
  input.done();
  const secret = resolveSecret(ctx, secretId, 'TagResource', { primaryOnly: true });
  ctx.store.updateSecret(secret.arn, { tags: mergeTags(secret.tags, tags), lastChangedAt: ctx.now });
  return {};
};

export const untagResource: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const keys = input.stringList('TagKeys', { item: { min: 1, max: 128 } });
  input.require('TagKeys');
  input.done();
  const secret = resolveSecret(ctx, secretId, 'UntagResource', { primaryOnly: true });
  const remove = new Set(keys ?? []);
  ctx.store.updateSecret(secret.arn, {
    tags: secret.tags.filter((t) => !remove.has(t.Key)),
    lastChangedAt: ctx.now,
  });
  return {};
};
