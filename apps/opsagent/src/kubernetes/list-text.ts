import { OWNABLE_KINDS, TEMPLATE_PATH } from '@opsagent/core/manifests/workload-extractor';
import type { WorkloadKind } from '@opsagent/core/workload';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const LETTER_T = 0x74;
const SPACE = 0x20;

const OBJECT = 1;
const ARRAY = 2;

/** Depths in a list body: the list object, its `items` array, an item, the item's metadata, and so on. */
const LIST = 1;
const ITEMS = 2;
const ITEM = 3;
const METADATA = 4;
const METADATA_CHILD = 5;
const OWNER_REFERENCE = 6;
/** In a Pod's `status`: a key of `status` is read at METADATA, of one container status at CONTAINER_STATUS, … */
const CONTAINER_STATUS = 6;
const CONTAINER_STATE = 7;
const TERMINATED = 8;

/** What a Pod's status keeps (the failure history the rules read); every other value in `status` is left out. */
const STATUS_LISTS = new Set(['containerStatuses', 'initContainerStatuses']);
const CONTAINER_STATUS_KEYS = new Set(['name', 'restartCount', 'state', 'lastState']);
const TERMINATED_KEYS = new Set(['reason', 'exitCode', 'finishedAt']);
/**
 * What an owned Pod's spec keeps: each container's name and resources, the values admission gave it (LimitRange
 * defaults included), so an OOM kill is judged against the limit the container ran with, not the template's now.
 */
const SPEC_LISTS = new Set(['containers', 'initContainers']);
const CONTAINER_KEYS = new Set(['name', 'resources']);
/**
 * What a Pod's metadata keeps: what attribution (uid, labels, the controller reference) and a bare Pod audited as a
 * workload (name, namespace, annotations) read.
 */
const POD_METADATA_KEYS = new Set(['name', 'namespace', 'uid', 'labels', 'annotations', 'ownerReferences']);
/**
 * What a workload's Pod template keeps of its spec: the containers and init containers, and of each its name, its
 * resources and its restartPolicy (an init container with `Always` is a sidecar), as the audit reads them.
 */
const TEMPLATE_CONTAINER_KEYS = new Set(['name', 'resources', 'restartPolicy']);

/** What the value after a key is for. */
const enum Pending {
  None,
  /** Left out, key and value (and the comma between it and a neighbour). */
  Cut,
  /** An ownerReference's `controller`: `true` makes the item owned. */
  Controller,
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A list body that is not one JSON list object: unbalanced, cut short, or items that are not objects. */
export class ListTextError extends Error {}

/** A list body past `maxItemBytes`: one item, or the list's own fields, larger than any real object. */
export class ListSizeError extends Error {}

export interface CutOptions {
  /** The kind listed: an owned ReplicaSet, Job or Pod is audited through its owner, so its spec is not read. */
  kind?: WorkloadKind;
  /**
   * Most bytes one item may take as sent (values left out included), and the list's own fields outside `items`;
   * past it the cutter throws a ListSizeError as soon as the chunk that crosses it is read, before the item is
   * buffered whole. Default: no cap.
   */
  maxItemBytes?: number;
}

/**
 * Reads a list response as it comes off the socket, in byte chunks, and hands over each element of its
 * `items` array as JSON text, without the values no rule reads, so no page is ever held whole, as bytes,
 * text or objects, and only what the audit reads is parsed:
 * - every item's `status` (the controllers' replica counts, a Pod's conditions, …), except, in a list of Pods, each
 *   container status' `name`, `restartCount` and `state`/`lastState.terminated.{reason, exitCode, finishedAt}`
 *   (the failure history: OOM kills); every other value of a Pod's `status` is left out as well;
 * - `metadata.managedFields`, the server-side-apply bookkeeping (about half of a Pod's JSON);
 * - kubectl's `last-applied-configuration` annotation (a copy of the whole object as a string);
 * - the `spec` of a ReplicaSet, Job or Pod whose metadata (sent before its spec by the API server) names a
 *   controller owner: such an object is audited through its owner and only its metadata is read; of an owned
 *   Pod's spec, each container's (and init container's) `name` and `resources` stay (the limits it ran with);
 * - of a workload's Pod template spec, all but the containers' and init containers' `name`, `resources` and
 *   `restartPolicy`; of a Pod's metadata, all but what attribution and the audit read (POD_METADATA_KEYS).
 * A value left out goes with its key and one comma beside it, so every item is still valid JSON, and only what is
 * kept is parsed (a Pod's text shrinks to about an eighth of what was sent).
 *
 * One pass over the bytes tracks strings, nesting and the keys near the top of each item; UTF-8 never puts an
 * ASCII byte inside a multi-byte character, so the bytes are never decoded except for the text handed over.
 * The list's own fields (`metadata.continue`, …) come back from `end()` as the list with `items: []`.
 */
export class ListItemCutter {
  private readonly cutOwnedSpec: boolean;
  /**
   * A list of Pods: their status is cut down to the failure history instead of left out, and an owned Pod's spec
   * down to its containers' names and resources.
   */
  private readonly keepFailures: boolean;
  private depth = 0;
  private types: Uint8Array = new Uint8Array(64);
  private expectKey = false;
  private inString = false;
  private escape = false;
  private started = false;
  /** Keys most recently read at each depth, where they matter (see `capture`). */
  private readonly keys: string[] = [];
  /** Reading a key whose value matters; `keyHead` holds the part of it in earlier chunks (latin1). */
  private inKey = false;
  private keyHead = '';
  private pending = Pending.None;
  /** Inside an object or array being left out: how many brackets are open in it. */
  private skipLevel = 0;
  /** Inside a string being left out. */
  private cuttingString = false;
  /** Inside a number, `true`, `false` or `null` being left out: it ends at the next delimiter. */
  private cuttingScalar = false;
  /**
   * Per depth, in an object whose keys are read (see `capture`): whether a member of it has been kept (a comma
   * before the next one is kept too) and where, in the item's text, the member being read starts (its comma
   * included), so that a member left out is taken back to there.
   */
  private selective: Uint8Array = new Uint8Array(64);
  private kept: Uint8Array = new Uint8Array(64);
  private memberStart: Int32Array = new Int32Array(64);
  private inItems = false;
  private inItem = false;
  private owned = false;
  private readonly item = new ByteBuffer(64 * 1024);
  private readonly rest = new ByteBuffer(1024);
  private readonly maxItemBytes: number;
  /** Bytes of the open item in earlier chunks. */
  private itemBytes = 0;
  /**
   * A workload kind with a Pod template: the keys from the item down to the template's spec (`spec.template.spec`,
   * a CronJob's `spec.jobTemplate.spec.template.spec`), and the depth of that spec's keys.
   */
  private readonly templatePath: readonly string[] | undefined;
  private readonly podSpecDepth: number;
  /** Keys are read down to this depth at most. */
  private readonly maxKeyDepth: number;

  constructor(options: CutOptions = {}) {
    this.cutOwnedSpec = options.kind !== undefined && OWNABLE_KINDS.has(options.kind);
    this.keepFailures = options.kind === 'Pod';
    this.maxItemBytes = options.maxItemBytes ?? Infinity;
    const template = options.kind !== undefined && options.kind !== 'Pod' ? TEMPLATE_PATH[options.kind] : undefined;
    this.templatePath = template ? [...(template as readonly string[]), 'spec'] : undefined;
    this.podSpecDepth = this.templatePath ? ITEM + this.templatePath.length : 0;
    // A container's keys sit two below the pod spec's (`containers` is an array of them).
    this.maxKeyDepth = Math.max(TERMINATED, this.podSpecDepth + 2);
  }

  /** Feeds the next chunk; calls `onItem` with each item completed in it. */
  push(bytes: Uint8Array, onItem: (json: string) => void): void {
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    const n = chunk.length;
    // Every byte of every list goes through this loop: the state it reads per byte is kept in locals.
    let depth = this.depth;
    let types = this.types;
    let from = 0; // bytes of this chunk from here on are not yet copied to the item or the list
    let keyFrom = this.inKey ? 0 : -1;
    let itemFrom = 0; // where the open item starts in this chunk (0: in an earlier one)
    let i = 0;
    if (this.escape) {
      this.escape = false; // the byte after a backslash that ended the previous chunk
      i = 1;
    }
    for (; i < n; i++) {
      if (this.skipLevel > 0) {
        i = this.skip(chunk, i);
        if (i === n) break;
        from = i + 1; // the closing bracket goes with the value
        this.expectKey = false;
        continue;
      }
      if (this.inString) {
        i = this.stringEnd(chunk, i);
        if (i === n) break;
        if (keyFrom >= 0) {
          from = this.endKey(chunk, keyFrom, i, depth, from);
          keyFrom = -1;
        } else if (this.cuttingString) {
          this.cuttingString = false;
          from = i + 1; // the closing quote goes with the value
        }
        continue;
      }
      const c = chunk[i];
      if (c <= SPACE) {
        if (this.cuttingScalar) {
          this.cuttingScalar = false;
          from = i;
        }
        continue;
      }
      if (c === QUOTE) {
        if (this.pending !== Pending.None) {
          if (this.startValue(c)) {
            from = i;
            this.cuttingString = true;
          }
        } else if (this.expectKey && this.selective[depth] === 1) {
          this.inKey = true;
          keyFrom = i + 1;
        }
        this.inString = true; // the top of the loop steps to the closing quote and ends the key or cut string
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.pending !== Pending.None && this.startValue(c)) {
          from = i;
          this.skipLevel = 1;
          i = this.skip(chunk, i + 1);
          if (i === n) break;
          from = i + 1; // the closing bracket goes with the value
          this.expectKey = false;
          continue;
        }
        if (depth <= ITEMS) {
          if (depth === 0) {
            if (c === OPEN_BRACKET || this.started) throw new ListTextError('the body is not one JSON object');
            this.started = true;
          } else if (this.inItems && depth === ITEMS) {
            if (c !== OPEN_BRACE) throw new ListTextError('an item of the list is not an object');
            this.inItem = true;
            this.owned = false;
            this.itemBytes = 0;
            itemFrom = i;
            from = i;
          } else if (depth === LIST && c === OPEN_BRACKET && this.keys[LIST] === 'items') {
            this.copy(chunk, from, i + 1);
            this.inItems = true;
            from = i + 1;
          }
        }
        depth++;
        if (depth === types.length) types = this.grow();
        types[depth] = c === OPEN_BRACE ? OBJECT : ARRAY;
        this.expectKey = c === OPEN_BRACE;
        // Whether this object's keys are read is known as it opens: it depends on the keys around it only.
        const selective = c === OPEN_BRACE && depth <= this.maxKeyDepth && this.capture(depth);
        this.selective[depth] = selective ? 1 : 0;
        if (selective && this.inItem) {
          this.kept[depth] = 0;
          this.memberStart[depth] = this.item.size + (i + 1 - from);
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0 || types[depth] !== (c === CLOSE_BRACE ? OBJECT : ARRAY)) {
          throw new ListTextError('unbalanced brackets');
        }
        if (this.cuttingScalar) {
          this.cuttingScalar = false;
          from = i;
        }
        depth--;
        this.expectKey = false;
        if (depth === ITEMS && this.inItem) {
          this.checkItemBytes(this.itemBytes + i + 1 - itemFrom);
          this.copy(chunk, from, i + 1);
          this.inItem = false;
          from = i + 1;
          onItem(this.item.text());
        } else if (depth === LIST && this.inItems) {
          this.inItems = false;
          from = i;
        }
      } else if (c === COMMA) {
        if (this.cuttingScalar) {
          this.cuttingScalar = false;
          from = i;
        }
        this.expectKey = types[depth] === OBJECT;
        if (this.expectKey && this.selective[depth] === 1 && this.inItem) {
          if (this.kept[depth] === 0) {
            // No member kept before this one: its comma is left out, so the next kept member comes first.
            this.copy(chunk, from, i);
            from = i + 1;
            this.memberStart[depth] = this.item.size;
          } else this.memberStart[depth] = this.item.size + (i - from);
        }
      } else if (c === COLON) {
        this.expectKey = false;
        // Between a key left out and its value: the colon goes with them.
        if (this.pending === Pending.Cut) from = i + 1;
      } else {
        if (depth === 0 || (depth === ITEMS && this.inItems && !this.inItem)) {
          throw new ListTextError(
            depth === 0 ? 'the body is not one JSON object' : 'an item of the list is not an object',
          );
        }
        if (this.pending !== Pending.None) this.startValue(c);
      }
    }
    this.depth = depth;
    if (this.inItem) {
      this.itemBytes += n - itemFrom;
      this.checkItemBytes(this.itemBytes);
    }
    // Bytes of a member being left out are never copied (a key's colon or value may start in the next chunk).
    if (this.skipLevel === 0 && !this.cuttingString && !this.cuttingScalar && this.pending !== Pending.Cut) {
      this.copy(chunk, from, n);
    }
    if (!this.inItems && this.rest.size > this.maxItemBytes) {
      throw new ListSizeError(
        `the list's own fields (outside items) are larger than ${describeBytes(this.maxItemBytes)}`,
      );
    }
    if (keyFrom >= 0) this.keyHead += chunk.toString('latin1', keyFrom, n);
  }

  /**
   * At the closing quote (`at`) of a key read from `keyFrom`: reads it, and leaves out the member when its value is
   * cut, taking the item's text back to where the member started (its comma, or its key for the first member).
   * Returns where the bytes not yet copied now start.
   */
  private endKey(chunk: Buffer, keyFrom: number, at: number, depth: number, from: number): number {
    const key =
      this.keyHead === '' ? knownKey(chunk, keyFrom, at) : this.keyHead + chunk.toString('latin1', keyFrom, at);
    this.inKey = false;
    this.keyHead = '';
    this.onKey(depth, key);
    if (this.pending === Pending.Cut && this.inItem) {
      const start = this.memberStart[depth];
      const copied = this.item.size;
      // The member began in this chunk's bytes not yet copied (nearly always): copy only what comes before it.
      if (start >= copied) this.copy(chunk, from, from + (start - copied));
      else this.item.truncate(start);
      return at + 1;
    }
    this.kept[depth] = 1;
    return from;
  }

  private checkItemBytes(bytes: number): void {
    if (bytes > this.maxItemBytes) {
      throw new ListSizeError(
        `an item of the list is larger than ${describeBytes(this.maxItemBytes)}, the most one object may take`,
      );
    }
  }

  /**
   * Inside a string: the index of its closing quote, stepping over escapes; `n` when the chunk ends first
   * (remembering a backslash that ended it).
   */
  private stringEnd(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i];
      if (c === QUOTE) {
        this.inString = false;
        return i;
      }
      i += c === BACKSLASH ? 2 : 1;
    }
    if (i > n) this.escape = true;
    return n;
  }

  /**
   * Inside a value being left out: the index of the bracket that closes it; `n` when the chunk ends first.
   * Only strings and nesting are followed (what is inside is never parsed). Most of a list's bytes pass here
   * (managedFields, status, owned specs), so strings are stepped over inline and `{`/`[` (and `}`/`]`) are told
   * apart by one comparison: the two differ only in bit 0x20.
   */
  private skip(chunk: Buffer, i: number): number {
    const n = chunk.length;
    if (this.inString) {
      i = this.stringEnd(chunk, i);
      if (i === n) return n;
      i++;
    }
    let level = this.skipLevel;
    while (i < n) {
      const c = chunk[i++];
      if (c === QUOTE) {
        for (;;) {
          if (i >= n) {
            this.inString = true;
            if (i > n) this.escape = true; // the chunk ended on a backslash
            this.skipLevel = level;
            return n;
          }
          const d = chunk[i++];
          if (d === QUOTE) break;
          if (d === BACKSLASH) i++;
        }
      } else if ((c | 0x20) === OPEN_BRACE) level++;
      else if ((c | 0x20) === CLOSE_BRACE && --level === 0) {
        this.skipLevel = 0;
        return i - 1;
      }
    }
    this.skipLevel = level;
    return n;
  }

  /** After the last chunk: the list itself, with `items: []`. Throws when the body was not one complete list. */
  end(): string {
    if (!this.started || this.depth !== 0 || this.inString || this.skipLevel > 0)
      throw new ListTextError('the body ends inside a value');
    return this.rest.text();
  }

  /** Whether the key starting at `depth` is one whose value matters. */
  private capture(depth: number): boolean {
    if (this.inTemplate(depth)) return true;
    switch (depth) {
      case LIST:
        return true;
      case ITEM:
        return this.inItem;
      case METADATA:
        return this.inItem && (this.keys[ITEM] === 'metadata' || this.inStatus() || this.inOwnedPodSpec());
      case METADATA_CHILD:
        return this.inItem && this.keys[ITEM] === 'metadata' && this.keys[METADATA] === 'annotations';
      case OWNER_REFERENCE: // = CONTAINER_STATUS
        return (
          this.inItem &&
          ((this.keys[ITEM] === 'metadata' && this.keys[METADATA] === 'ownerReferences') ||
            this.inStatusList() ||
            this.inOwnedPodContainers())
        );
      case CONTAINER_STATE:
        return this.inItem && this.inStatusList() && isState(this.keys[CONTAINER_STATUS]);
      case TERMINATED:
        return (
          this.inItem &&
          this.inStatusList() &&
          isState(this.keys[CONTAINER_STATUS]) &&
          this.keys[CONTAINER_STATE] === 'terminated'
        );
      default:
        return false;
    }
  }

  /**
   * Whether an object at `depth` is on the way to a workload's Pod template spec (`spec`, `spec.template`), is that
   * spec, or is one of its containers: its keys are read (a list of a kind with a template only).
   */
  private inTemplate(depth: number): boolean {
    const path = this.templatePath;
    if (path === undefined || !this.inItem || depth <= ITEM) return false;
    const spec = this.podSpecDepth;
    if (depth > spec && depth !== spec + 2) return false;
    const along = Math.min(depth, spec) - ITEM;
    for (let k = 0; k < along; k++) if (this.keys[ITEM + k] !== path[k]) return false;
    return depth <= spec || SPEC_LISTS.has(this.keys[spec]);
  }

  /** Inside a Pod's `status` (a list of Pods only). */
  private inStatus(): boolean {
    return this.keepFailures && this.keys[ITEM] === 'status';
  }

  /** Inside the spec of a Pod a controller owns (a list of Pods only). */
  private inOwnedPodSpec(): boolean {
    return this.keepFailures && this.owned && this.keys[ITEM] === 'spec';
  }

  /** Inside one entry of an owned Pod's `spec.containers` or `initContainers`. */
  private inOwnedPodContainers(): boolean {
    return this.inOwnedPodSpec() && SPEC_LISTS.has(this.keys[METADATA]);
  }

  /** Inside one entry of a Pod's `status.containerStatuses` or `initContainerStatuses`. */
  private inStatusList(): boolean {
    return this.inStatus() && STATUS_LISTS.has(this.keys[METADATA]);
  }

  private onKey(depth: number, key: string): void {
    this.keys[depth] = key;
    if (this.templatePath !== undefined && depth > ITEM && this.inTemplate(depth)) {
      // Of the template's spec only the containers stay, and of each container what the audit reads.
      if (depth === this.podSpecDepth) {
        if (!SPEC_LISTS.has(key)) this.pending = Pending.Cut;
      } else if (depth === this.podSpecDepth + 2 && !TEMPLATE_CONTAINER_KEYS.has(key)) this.pending = Pending.Cut;
      return;
    }
    switch (depth) {
      case ITEM:
        if (key === 'status') {
          if (!this.keepFailures) this.pending = Pending.Cut;
          // An owned Pod's spec is cut key by key (inOwnedPodSpec); any other owned spec is left out. The metadata
          // comes first from the API server; a spec before it is kept, as the owner is not known yet.
        } else if (key === 'spec' && this.cutOwnedSpec && this.owned && !this.keepFailures) this.pending = Pending.Cut;
        return;
      case METADATA:
        if (this.keys[ITEM] === 'status') {
          if (!STATUS_LISTS.has(key)) this.pending = Pending.Cut;
        } else if (this.keys[ITEM] === 'spec') {
          if (!SPEC_LISTS.has(key)) this.pending = Pending.Cut;
        } else if (this.keepFailures ? !POD_METADATA_KEYS.has(key) : key === 'managedFields')
          this.pending = Pending.Cut;
        return;
      case METADATA_CHILD:
        if (key === LAST_APPLIED) this.pending = Pending.Cut;
        return;
      case OWNER_REFERENCE: // = CONTAINER_STATUS
        if (this.keys[ITEM] === 'status') {
          if (!CONTAINER_STATUS_KEYS.has(key)) this.pending = Pending.Cut;
        } else if (this.keys[ITEM] === 'spec') {
          if (!CONTAINER_KEYS.has(key)) this.pending = Pending.Cut;
        } else if (key === 'controller') this.pending = Pending.Controller;
        return;
      case CONTAINER_STATE:
        if (key !== 'terminated') this.pending = Pending.Cut;
        return;
      case TERMINATED:
        if (!TERMINATED_KEYS.has(key)) this.pending = Pending.Cut;
        return;
    }
  }

  /**
   * The first byte of the value a pending key was waiting for; true when that value is an object, array or string
   * to step over; a number, boolean or null being left out ends at its delimiter (`cuttingScalar`).
   */
  private startValue(c: number): boolean {
    const pending = this.pending;
    this.pending = Pending.None;
    if (pending === Pending.Controller) {
      if (c === LETTER_T) this.owned = true;
      return false;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET || c === QUOTE) return true;
    this.cuttingScalar = true;
    return false;
  }

  private grow(): Uint8Array {
    this.types = growTypes(this.types);
    this.selective = growTypes(this.selective);
    this.kept = growTypes(this.kept);
    const starts = new Int32Array(this.types.length);
    starts.set(this.memberStart);
    this.memberStart = starts;
    return this.types;
  }

  private copy(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (this.inItem) this.item.append(chunk, from, to);
    else if (!this.inItems) this.rest.append(chunk, from, to);
  }
}

/** Every key the cutter compares, by length: a key is matched on its bytes, without making a string of it. */
const KNOWN_KEYS: { bytes: Buffer; key: string }[][] = [];
for (const key of [
  'items',
  'metadata',
  'status',
  'spec',
  'annotations',
  'ownerReferences',
  'managedFields',
  'controller',
  LAST_APPLIED,
  'terminated',
  'template',
  'jobTemplate',
  ...POD_METADATA_KEYS,
  ...TEMPLATE_CONTAINER_KEYS,
  ...STATUS_LISTS,
  ...CONTAINER_STATUS_KEYS,
  ...TERMINATED_KEYS,
  ...SPEC_LISTS,
  ...CONTAINER_KEYS,
]) {
  const bytes = Buffer.from(key, 'latin1');
  const sameLength = (KNOWN_KEYS[bytes.length] ??= []);
  if (!sameLength.some((k) => k.key === key)) sameLength.push({ bytes, key });
}
/** Any key that is none of KNOWN_KEYS (no comparison of the cutter matches it). */
const OTHER_KEY = '';

/** The key in `chunk[from, to)` as the known key it is (an interned string), else OTHER_KEY. */
function knownKey(chunk: Buffer, from: number, to: number): string {
  const candidates = KNOWN_KEYS[to - from];
  if (candidates === undefined) return OTHER_KEY;
  next: for (const { bytes, key } of candidates) {
    for (let j = 0; j < bytes.length; j++) if (chunk[from + j] !== bytes[j]) continue next;
    return key;
  }
  return OTHER_KEY;
}

function isState(key: string | undefined): boolean {
  return key === 'state' || key === 'lastState';
}

/** `3 MiB (3145728 bytes)` */
export function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}

function growTypes(types: Uint8Array): Uint8Array {
  const grown = new Uint8Array(types.length * 2);
  grown.set(types);
  return grown;
}

/** Up to this many bytes are appended in a loop rather than by Buffer#copy. */
const SMALL_COPY = 64;

/** A growable byte buffer, reused item after item. */
class ByteBuffer {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes: number) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** Takes back what was appended after the first `length` bytes. */
  truncate(length: number): void {
    if (length < this.length) this.length = length;
  }

  get size(): number {
    return this.length;
  }

  append(chunk: Buffer, from: number, to: number): void {
    const needed = this.length + (to - from);
    if (needed > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    if (to - from <= SMALL_COPY) {
      // Buffer#copy costs a call into C++; most copies here are a few bytes (between two keys left out).
      const buffer = this.buffer;
      for (let i = from, j = this.length; i < to; i++, j++) buffer[j] = chunk[i];
    } else chunk.copy(this.buffer, this.length, from, to);
    this.length = needed;
  }

  text(): string {
    const text = this.buffer.toString('utf8', 0, this.length);
    this.length = 0;
    return text;
  }
}
