/**
 * C0 and C1 control characters but tab and newline, DEL, and the Unicode bidi overrides and isolates. Names
 * and kinds in a manifest are arbitrary strings; printed raw they could move the cursor, clear the screen,
 * retitle the window, hide a line behind `\r` or reorder text (Trojan Source) on the terminal or CI log
 * that shows the output.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Replaces each of them with its `\uXXXX` escape. In table text and messages that makes them visible; in
 * JSON and SARIF output (where they can only occur inside strings) it is the JSON escape of the same value,
 * so a parser reads exactly what the manifest held.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
