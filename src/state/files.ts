/**
 * Turning what the user dropped or picked into files: folders are walked recursively (in batches,
 * as the File System API hands them out), and hidden files inside folders (.DS_Store, .git/...)
 * are skipped, since nobody means to index those.
 */

export interface PickedFile {
  file: File;
  /** Path inside the dropped folder, or the file name. Shown to the user. */
  path: string;
}

function isHidden(name: string): boolean {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await fileOf(entry as FileSystemFileEntry), path: prefix + entry.name });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call; an empty batch means the folder is done.
  for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
    for (const child of batch) if (!isHidden(child.name)) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/**
 * Files from a drop. Entries must be taken synchronously inside the drop event (the DataTransfer
 * is emptied once the handler returns), so this is called without awaiting anything first.
 */
export function filesFromDrop(dt: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const plain: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) plain.push(f);
    }
  }
  if (entries.length === 0 && plain.length === 0) plain.push(...Array.from(dt.files));
  return (async () => {
    const out: PickedFile[] = plain.map((file) => ({ file, path: file.name }));
    for (const e of entries) await walk(e, '', out);
    return out;
  })();
}

/** Files from <input type="file"> (with or without webkitdirectory). */
export function filesFromInput(list: FileList | null): PickedFile[] {
  return Array.from(list ?? [])
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }))
    .filter((f) => !f.file.webkitRelativePath || !f.path.split('/').some(isHidden));
}

/** How long a handed-out object URL lives: the download or new tab has read it by then. */
const OBJECT_URL_MS = 60_000;

/** An object URL for a Blob, revoked once whatever opens it has had time to read it. */
export function temporaryUrl(blob: Blob): string {
  const url = URL.createObjectURL(blob);
  setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_MS);
  return url;
}

/** Saves a Blob through the browser's download, under `name`. */
export function saveFile(blob: Blob, name: string): void {
  Object.assign(document.createElement('a'), { href: temporaryUrl(blob), download: name }).click();
}
