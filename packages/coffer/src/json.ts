/**
 * JSON.parse, with an error that never quotes the text: V8's own message shows the characters around the
 * problem, which for a short secret or a small file is all of it. The error names only where parsing failed.
 */
export function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = Number(/position (\d+)/.exec(String((error as Error).message))?.[1]);
    throw new SyntaxError(
      Number.isInteger(position)
        ? `not valid JSON (parsing failed at line ${lineOf(text, position)}, column ${columnOf(text, position)})`
        : 'not valid JSON',
    );
  }
}

const lineOf = (text: string, position: number): number => text.slice(0, position).split('\n').length;
const columnOf = (text: string, position: number): number => position - text.lastIndexOf('\n', position - 1);
