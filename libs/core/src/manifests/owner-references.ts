import { isRecord, nonEmptyString } from './object-reader';

/**
 * The ownerReference with `controller: true`: the object that manages this one (a Pod's ReplicaSet, Job,
 * StatefulSet, …; a ReplicaSet's Deployment; a Job's CronJob). Owners live in the same namespace.
 */
export interface ControllerRef {
  kind: string;
  name: string;
  /** The owner's metadata.uid, when the reference carries it (the API server requires it; manifests may not). */
  uid?: string;
}

/** What usage attribution reads of an object: its uid and its controller, nothing else. */
export interface Ownership {
  uid?: string;
  controller?: ControllerRef;
}

/**
 * `metadata.uid` and the controller ownerReference of an object. A reference without a kind or a name cannot
 * be followed and is left out (the Pod's usage is then matched by labels, see UsageAttribution); a malformed
 * list is not an error here, since toWorkload reports what the audit itself cannot read.
 */
export function ownershipOf(object: Record<string, unknown>): Ownership {
  const metadata = isRecord(object.metadata) ? object.metadata : undefined;
  if (!metadata) return {};
  const out: Ownership = {};
  const uid = nonEmptyString(metadata.uid);
  if (uid !== undefined) out.uid = uid;
  const refs = metadata.ownerReferences;
  if (Array.isArray(refs)) {
    for (const ref of refs) {
      if (!isRecord(ref) || ref.controller !== true) continue;
      const kind = nonEmptyString(ref.kind);
      const name = nonEmptyString(ref.name);
      if (kind === undefined || name === undefined) break;
      const refUid = nonEmptyString(ref.uid);
      out.controller = refUid === undefined ? { kind, name } : { kind, name, uid: refUid };
      break; // the API server allows one controller reference
    }
  }
  return out;
}
