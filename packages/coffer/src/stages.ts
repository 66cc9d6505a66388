/** The staging labels Secrets Manager gives meaning to. */
export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

export type AwsStage = typeof CURRENT | typeof PENDING | typeof PREVIOUS;
