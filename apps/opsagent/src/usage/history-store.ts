import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** The two files kept across restarts: the usage history, and the issues' identity (`<historyFile>.issues`). */
export type HistoryPart = 'usage' | 'issues';

/**
 * A part's bytes: whole, or in chunks made as they are asked for (`UsageHistory.encodeChunks`), each of which may
 * be a reused buffer that is valid only until the next one is asked for.
 */
export type HistoryBytes = Uint8Array | Iterable<Uint8Array>;

/** The bytes of `data` in one Buffer, each chunk copied as it comes (for stores that keep the bytes in memory). */
export function collectBytes(data: HistoryBytes): Buffer {
  if (data instanceof Uint8Array) return Buffer.from(data);
  const chunks: Buffer[] = [];
  for (const chunk of data) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The port to where the usage history is kept between runs; bound in UsageModule. */
export abstract class HistoryStore {
  /** Where a part is kept, for messages (a file path). */
  abstract where(part: HistoryPart): string;
  /** The part's bytes as last saved; undefined when nothing was saved yet. Throws when it cannot be read. */
  abstract load(part: HistoryPart): Promise<Buffer | undefined>;
  /**
   * Replaces the part atomically: a crash at any moment leaves the previous bytes or the new ones. Chunks are
   * written one after the other as they come, never gathered.
   */
  abstract save(part: HistoryPart, data: HistoryBytes): Promise<void>;
}

/**
 * Files on a local disk. A save writes a temporary file in the same directory, fsyncs it, renames it over the
 * file and fsyncs the directory: rename is atomic within a file system, and the fsyncs order the data before
 * the rename on disk, so a kill -9 or a power loss leaves the old file or the new one, never a torn one.
 */
export class FileHistoryStore extends HistoryStore {
  private sequence = 0;

  constructor(private readonly file: string) {
    super();
  }

  where(part: HistoryPart): string {
    return part === 'usage' ? this.file : `${this.file}.issues`;
  }

  async load(part: HistoryPart): Promise<Buffer | undefined> {
    await this.removeStaleTemps(part);
    try {
      return await fs.readFile(this.where(part));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Temporary files of a process killed while saving (kill -9, OOM): each may be as large as the history. */
  private async removeStaleTemps(part: HistoryPart): Promise<void> {
    const target = this.where(part);
    const prefix = `.${path.basename(target)}.`;
    const names = await fs.readdir(path.dirname(target)).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) {
        await fs.rm(path.join(path.dirname(target), name), { force: true }).catch(() => undefined);
      }
    }
  }

  async save(part: HistoryPart, data: HistoryBytes): Promise<void> {
    const target = this.where(part);
    const dir = path.dirname(target);
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${++this.sequence}.tmp`);
    try {
      const handle = await fs.open(temp, 'w', 0o600);
      try {
        // Each chunk is written (in full) before the next is asked for, so a reused chunk buffer is safe.
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
    // The rename is durable once the directory is synced (some file systems refuse fsync on a directory).
    const dirHandle = await fs.open(dir, 'r').catch(() => undefined);
    if (dirHandle) {
      await dirHandle.sync().catch(() => undefined);
      await dirHandle.close();
    }
  }
}

/** No file (`usage.historyFile` unset): nothing is loaded and saves are dropped. */
export class MemoryOnlyHistoryStore extends HistoryStore {
  where(): string {
    return '(memory only)';
  }

  async load(): Promise<undefined> {
    return undefined;
  }

  async save(): Promise<void> {}
}
