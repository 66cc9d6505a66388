/**
 * Quotes a word for POSIX shells: as it is when it is plainly safe, else in single quotes. For the commands and
 * `export` lines Coffer's tools print for a user to paste or `eval`.
 */
export const shellQuote = (word: string): string =>
  /^[A-Za-z0-9_./:@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
