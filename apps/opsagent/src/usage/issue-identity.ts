/** The issues' identity file (`<historyFile>.issues`): which issues existed and since when, for the next run. */
export const IDENTITY_FORMAT = 'opsagent-issue-identity';
export const IDENTITY_FORMAT_VERSION = 1;

export class IdentityFormatError extends Error {}

export function encodeIdentity(cluster: string, firstSeen: ReadonlyMap<string, string>, savedAt: number): Buffer {
  return Buffer.from(
    `${JSON.stringify({
      format: IDENTITY_FORMAT,
      version: IDENTITY_FORMAT_VERSION,
      cluster,
      savedAt: new Date(savedAt).toISOString(),
      issues: [...firstSeen],
    })}\n`,
  );
}

/** Reads `encodeIdentity`'s bytes (id → first-seen time); throws IdentityFormatError saying what is wrong. */
export function decodeIdentity(bytes: Buffer, cluster: string): Map<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IdentityFormatError(`not JSON (torn or foreign): ${error instanceof Error ? error.message : ''}`);
  }
  const d = doc as { format?: unknown; version?: unknown; cluster?: unknown; issues?: unknown };
  if (d === null || typeof d !== 'object' || d.format !== IDENTITY_FORMAT)
    throw new IdentityFormatError(`format is ${JSON.stringify(d?.format)}, not "${IDENTITY_FORMAT}"`);
  if (d.version !== IDENTITY_FORMAT_VERSION)
    throw new IdentityFormatError(
      `format version ${JSON.stringify(d.version)}; this agent reads version ${IDENTITY_FORMAT_VERSION}`,
    );
  if (d.cluster !== cluster)
    throw new IdentityFormatError(
      `it holds cluster ${JSON.stringify(d.cluster)}, this agent reads ${JSON.stringify(cluster)}`,
    );
  if (!Array.isArray(d.issues)) throw new IdentityFormatError('issues is not a list');
  const out = new Map<string, string>();
  for (const entry of d.issues as unknown[]) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'string' ||
      Number.isNaN(Date.parse(entry[1]))
    )
      throw new IdentityFormatError(`an entry is not [id, first-seen time]: ${JSON.stringify(entry).slice(0, 80)}`);
    out.set(entry[0], entry[1]);
  }
  return out;
}
