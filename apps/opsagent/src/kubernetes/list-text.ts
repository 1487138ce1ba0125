const KEY = '"managedFields":[';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * A list response's text with every `managedFields` array emptied, before JSON.parse. managedFields (the
 * server-side-apply bookkeeping in every object's metadata) is about half of a Pod's JSON and no rule reads
 * it: cutting it out of the text is much cheaper than parsing it into objects only to drop them.
 *
 * The API server sends valid JSON, in which an unescaped quote never occurs inside a string: a raw
 * `"managedFields":[` is always a key. A ManagedFieldsEntry holds only strings and the nested objects of
 * `fieldsV1`, never an array, so the list ends at the first `]` outside a string; strings are skipped with
 * indexOf, never char by char. Returns undefined when there is nothing to cut or the text ends first (the
 * caller then parses the text as it came, and a malformed one is reported as such).
 */
export function withoutManagedFields(text: string): string | undefined {
  let at = text.indexOf(KEY);
  if (at < 0) return undefined;
  const parts: string[] = [];
  let from = 0;
  while (at >= 0) {
    const open = at + KEY.length - 1;
    const close = closingBracket(text, open + 1);
    if (close < 0) return undefined;
    parts.push(text.slice(from, open + 1)); // up to and including the `[`
    from = close; // from the `]` on
    at = text.indexOf(KEY, close);
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Index of the first `]` at or after `from` that is not inside a string; -1 when there is none. */
function closingBracket(text: string, from: number): number {
  let close = text.indexOf(']', from);
  let quote = text.indexOf('"', from);
  while (close >= 0) {
    if (quote < 0 || close < quote) return close;
    let end = text.indexOf('"', quote + 1);
    while (end >= 0 && escaped(text, end)) end = text.indexOf('"', end + 1);
    if (end < 0) return -1;
    if (close < end) close = text.indexOf(']', end + 1);
    quote = text.indexOf('"', end + 1);
  }
  return -1;
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  while (text.charCodeAt(at - 1 - n) === BACKSLASH) n++;
  return n % 2 === 1;
}

/** A list body that is not one JSON object: unbalanced or cut short. */
export class ListTextError extends Error {}

/**
 * Splits a JSON list body that arrives in chunks into the JSON text of each element of its top-level
 * `items` array, so a large unpaged list (PodMetrics: metrics-server ignores `limit`) is parsed one item at a
 * time and never held whole, as text or as objects.
 */
export class ListItemSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** The string being read at depth 1 (a key of the list object), and the last one read. */
  private keyParts: string[] | undefined;
  private lastKey = '';
  private inItems = false;
  private started = false;
  /** Text of the current item from earlier chunks. */
  private itemParts: string[] = [];
  private inItem = false;

  /** Feeds the next chunk; calls `onItem` with each item completed in it. */
  push(chunk: string, onItem: (json: string) => void): void {
    let itemFrom = this.inItem ? 0 : -1;
    let keyFrom = this.keyParts ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.keyParts) {
            this.keyParts.push(chunk.slice(keyFrom, i));
            this.lastKey = this.keyParts.join('');
            this.keyParts = undefined;
            keyFrom = -1;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) {
          this.keyParts = [];
          keyFrom = i + 1;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 0) {
          if (c === OPEN_BRACKET || this.started) throw new ListTextError('the body is not one JSON object');
          this.started = true;
        } else if (this.depth === 1 && c === OPEN_BRACKET && this.lastKey === 'items') {
          this.inItems = true;
        } else if (this.depth === 2 && this.inItems) {
          this.inItem = true;
          itemFrom = i;
        }
        this.depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth < 0) throw new ListTextError('unbalanced brackets');
        if (this.depth === 2 && this.inItem) {
          this.itemParts.push(chunk.slice(itemFrom, i + 1));
          onItem(this.itemParts.length === 1 ? this.itemParts[0] : this.itemParts.join(''));
          this.itemParts = [];
          this.inItem = false;
          itemFrom = -1;
        } else if (this.depth === 1 && this.inItems) {
          this.inItems = false;
        }
      }
    }
    if (this.inItem && itemFrom >= 0) this.itemParts.push(chunk.slice(itemFrom));
    if (this.keyParts && keyFrom >= 0) this.keyParts.push(chunk.slice(keyFrom));
  }

  /** After the last chunk: throws when the body was not one complete JSON object. */
  end(): void {
    if (!this.started || this.depth !== 0 || this.inString) throw new ListTextError('the body ends inside a value');
  }
}
