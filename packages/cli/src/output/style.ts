import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/** Colours for human output; every method returns the text unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/**
 * Decides once whether to colour: never with --no-color or NO_COLOR (https://no-color.org), always with
 * FORCE_COLOR (other than 0), otherwise only when the stream is a terminal. `node:util`'s styleText (Node
 * 20.12+) does the escaping; we pass `validateStream: false` because the decision above is ours, which also
 * keeps Node 20 releases that predate that option (and always colour) behaving the same.
 */
export function styleFor(
  options: { color?: boolean },
  env: NodeJS.ProcessEnv,
  stream: { isTTY?: boolean } = process.stdout,
): Style {
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0';
  const enabled =
    options.color !== false &&
    (env.NO_COLOR === undefined || env.NO_COLOR === '') &&
    (force || stream.isTTY === true);
  const paint = (format: Format) => (text: string) =>
    enabled && text !== '' ? styleText(format, text, { validateStream: false }) : text;
  return {
    enabled,
    bold: paint('bold'),
    dim: paint('dim'),
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
  };
}
