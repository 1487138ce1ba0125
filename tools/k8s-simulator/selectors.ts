/**
 * The `labelSelector` and `fieldSelector` query parameters, parsed with the API server's grammar
 * (k8s.io/apimachinery/pkg/labels and pkg/fields) so that what the real server rejects, this rejects.
 */

/** A malformed selector: the API server answers 400 BadRequest with this message. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type LabelRequirement =
  | { key: string; operator: 'in' | 'notin'; values: readonly string[] }
  | { key: string; operator: 'exists' | '!' }
  | { key: string; operator: 'gt' | 'lt'; value: number };

type Token =
  | { type: 'ident'; text: string }
  | { type: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '>' | '<' }
  | { type: 'end'; text: '' };

/** Characters that end an identifier, besides whitespace (the lexer of k8s.io/apimachinery/pkg/labels). */
const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' || c === '!') {
      if (input[i + 1] === '=') {
        tokens.push({ type: 'op', text: c === '=' ? '==' : '!=' });
        i += 2;
      } else {
        tokens.push({ type: 'op', text: c });
        i++;
      }
      continue;
    }
    if (SPECIAL.has(c)) {
      tokens.push({ type: 'op', text: c as '(' | ')' | ',' | '>' | '<' });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j]) && !/\s/.test(input[j])) j++;
    tokens.push({ type: 'ident', text: input.slice(i, j) });
    i = j;
  }
  tokens.push({ type: 'end', text: '' });
  return tokens;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const valid =
    name.length > 0 &&
    name.length <= 63 &&
    NAME.test(name) &&
    (prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!valid) {
    throw new SelectorError(
      `unable to parse requirement: Invalid value: "${key}": name part must consist of alphanumeric characters, ` +
        `'-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function validateValue(value: string): void {
  if (value !== '' && (value.length > 63 || !NAME.test(value))) {
    throw new SelectorError(
      `unable to parse requirement: Invalid value: "${value}": a valid label must be an empty string or consist of ` +
        `alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`; the requirements are ANDed. An empty string
 * selects everything. Throws SelectorError for what the API server would reject.
 */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = lex(input);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const next = (): Token => tokens[pos++];
  const unexpected = (t: Token, expected: string): SelectorError =>
    new SelectorError(
      `unable to parse requirement: found '${t.type === 'end' ? 'EOS' : t.text}', expected: ${expected}`,
    );

  const requirements: LabelRequirement[] = [];
  if (peek().type === 'end') return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const t = next();
    if (t.type === 'end') return requirements;
    if (t.text !== ',') throw unexpected(t, "','");
  }

  function parseRequirement(): LabelRequirement {
    let t = next();
    if (t.text === '!') {
      t = next();
      if (t.type !== 'ident') throw unexpected(t, 'identifier after "!"');
      validateKey(t.text);
      return { key: t.text, operator: '!' };
    }
    if (t.type !== 'ident') throw unexpected(t, 'identifier');
    const key = t.text;
    validateKey(key);
    const op = peek();
    if (op.type === 'end' || op.text === ',') return { key, operator: 'exists' };
    next();
    if (op.type === 'ident' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text, values: parseSet() };
    }
    switch (op.text) {
      case '=':
      case '==':
      case '!=': {
        const value = parseSingleValue();
        return { key, operator: op.text === '!=' ? 'notin' : 'in', values: [value] };
      }
      case '>':
      case '<': {
        const value = parseSingleValue();
        if (!/^-?\d+$/.test(value)) {
          throw new SelectorError(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
        return { key, operator: op.text === '>' ? 'gt' : 'lt', value: Number(value) };
      }
      default:
        throw unexpected(op, "'=', '!=', '==', 'in', notin'");
    }
  }

  function parseSingleValue(): string {
    const t = peek();
    // `a=` selects an empty value, as the API server allows.
    if (t.type === 'end' || t.text === ',') return '';
    next();
    if (t.type !== 'ident') throw unexpected(t, 'identifier');
    validateValue(t.text);
    return t.text;
  }

  function parseSet(): string[] {
    const open = next();
    if (open.text !== '(') throw unexpected(open, "'('");
    const values: string[] = [];
    for (;;) {
      const t = next();
      if (t.type === 'ident') {
        validateValue(t.text);
        values.push(t.text);
        const sep = next();
        if (sep.text === ')') return values;
        if (sep.text !== ',') throw unexpected(sep, "',' or ')'");
      } else if (t.text === ')' || t.text === ',') {
        // `()` and `(a,)` carry an empty value, as in the API server's parser.
        values.push('');
        if (t.text === ')') return values;
      } else {
        throw unexpected(t, "identifier or ')'");
      }
    }
  }
}

/** Whether labels satisfy every requirement (all ANDed; none selects everything). */
export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const r of requirements) {
    const present = Object.hasOwn(labels, r.key);
    const value = present ? labels[r.key] : undefined;
    switch (r.operator) {
      case 'in':
        if (!present || !r.values.includes(value as string)) return false;
        break;
      case 'notin':
        if (present && r.values.includes(value as string)) return false;
        break;
      case 'exists':
        if (!present) return false;
        break;
      case '!':
        if (present) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!present || !/^-?\d+$/.test(value as string)) return false;
        const n = Number(value);
        if (r.operator === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  equals: boolean;
  value: string;
}

/**
 * Parses `metadata.name=x,metadata.namespace!=y` (`=`, `==`, `!=`). Only `allowed` fields are accepted,
 * as the API server rejects unknown ones with `field label not supported`.
 */
export function parseFieldSelector(input: string, allowed: ReadonlySet<string>): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  if (input.trim() === '') return requirements;
  for (const part of splitUnescaped(input)) {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!match) throw new SelectorError(`invalid selector: '${input}'; can't understand '${part}'`);
    const field = match[1].trim();
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    requirements.push({ field, equals: match[2] !== '!=', value: unescape(match[3]) });
  }
  return requirements;
}

/** Splits on commas not escaped with a backslash (field values may contain `\,`). */
function splitUnescaped(input: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '\\' && i + 1 < input.length) {
      current += input[i] + input[i + 1];
      i++;
    } else if (input[i] === ',') {
      parts.push(current);
      current = '';
    } else {
      current += input[i];
    }
  }
  parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Whether `fieldValue` (the object's value of each field, `''` when absent) satisfies every requirement. */
export function matchesFields(
  requirements: readonly FieldRequirement[],
  fieldValue: (field: string) => string,
): boolean {
  return requirements.every((r) => (fieldValue(r.field) === r.value) === r.equals);
}
