/** A path to a field inside a Kubernetes object: keys and list indexes, e.g. `['spec', 'containers', 0]`. */
export type FieldPath = readonly (string | number)[];

/** Formats a field path the way kubectl and the API server name fields: `spec.containers[0].resources`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

export interface ManifestErrorDetails {
  /** The file (or `<stdin>`, or the path as given); absent for objects read from the Kubernetes API. */
  file?: string;
  /** 1-based line of the offending field, or of the object when the field cannot be located. */
  line?: number;
  /** `Kind namespace/name`, e.g. `Deployment shop/web`. */
  objectRef?: string;
  /** JSON path of the offending field, e.g. `spec.template.spec.containers[0].resources.limits.cpu`. */
  field?: string;
  cause?: unknown;
}

/**
 * Bad input: an unreadable path, invalid YAML/JSON, an object without a kind or name, a malformed
 * quantity. The message carries every known location part so the CLI can print it as is:
 * `examples/bad.yaml:12: Deployment shop/web: spec.template.spec.containers[0].resources.limits.cpu: invalid quantity "12x": …`.
 */
export class ManifestError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly objectRef?: string;
  readonly field?: string;

  constructor(
    /** What is wrong, without the location prefix. */
    readonly reason: string,
    details: ManifestErrorDetails = {},
  ) {
    super(formatMessage(reason, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ManifestError';
    this.file = details.file;
    this.line = details.line;
    this.objectRef = details.objectRef;
    this.field = details.field;
  }
}

function formatMessage(reason: string, d: ManifestErrorDetails): string {
  const parts: string[] = [];
  if (d.file !== undefined) parts.push(d.line === undefined ? d.file : `${d.file}:${d.line}`);
  else if (d.line !== undefined) parts.push(`line ${d.line}`);
  if (d.objectRef) parts.push(d.objectRef);
  if (d.field) parts.push(d.field);
  parts.push(reason);
  return parts.join(': ');
}

/**
 * Every input error of one run (each bad file, each bad object), so that a scan of a directory reports all of them
 * at once instead of stopping at the first. The message lists them one a line.
 */
export class ManifestErrors extends ManifestError {
  constructor(readonly errors: readonly ManifestError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ManifestErrors';
  }

  /** Throws `errors` as one error (the error itself when there is one); returns when there is none. */
  static throwIfAny(errors: readonly ManifestError[]): void {
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new ManifestErrors(errors);
  }
}
