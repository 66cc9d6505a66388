/** An IAM role ARN as AWS's agent accepts it for `roleArn`: arn:<partition>:iam::<account>:role/<path and name>. */
const ROLE_ARN = /^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export const isRoleArn = (text: string): boolean => ROLE_ARN.test(text);
