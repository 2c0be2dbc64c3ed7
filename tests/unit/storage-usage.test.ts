// What the Storage card shows: each collection's size from record metadata, and cached models grouped from their URLs.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store';
import { ingestFile } from '../../src/ingest/ingest';
import { documentFields } from '../../src/store/store';
import { modelOfUrl } from '../../src/platform/model-cache';
import { keywordEntry } from '../../src/index/analyze';

describe('storage usage', () => {
  it('counts originals, text and each model’s vectors per collection', async () => {
    const store = await Store.open('usage', { indexedDB: new IDBFactory(), channel: `usage-${Math.random()}` });
    const other = await store.createCollection('Other');
    const text = 'The tide rises twice a day. '.repeat(40);
    const r = await ingestFile(new Blob([text]), { name: 'tides.txt', maxBytes: 1e6, chunking: { chunkTokens: 64, overlapTokens: 8 } });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    const original = new Blob([text]);
    await store.addDocument(
      other.id,
      documentFields(r.doc, original),
      r.doc.chunks,
      r.doc.chunks.map((c) => keywordEntry(c.id, c.text)),
    );
    const n = r.doc.chunks.length;
    await store.putVectors(other.id, r.doc.id, 'a', 8, new Float32Array(n * 8));
    await store.putVectors(other.id, r.doc.id, 'b', 4, new Float32Array(n * 4));
    const usage = await store.usage();
    expect(usage.find((u) => u.name === 'Other')).toEqual({
      collectionId: other.id,
      name: 'Other',
      documents: 1,
      originalBytes: original.size,
      textBytes: r.doc.text.length,
      vectorBytes: n * (8 + 4) * 4,
    });
    expect(usage.find((u) => u.name === 'My documents')).toMatchObject({ documents: 0, vectorBytes: 0 });
    store.close();
  });

  it('groups cached files by model, from the hub, a mirror or the app’s own folder', () => {
    expect(modelOfUrl('https://huggingface.co/Xenova/bge-small-en-v1.5/resolve/main/onnx/model.onnx', '/models/')).toEqual({
      id: 'Xenova/bge-small-en-v1.5',
      from: 'huggingface.co',
    });
    expect(modelOfUrl('http://127.0.0.1:8080/models/tiny-bert/onnx/model.onnx', '/models/')).toEqual({
      id: 'tiny-bert',
      from: 'this app (/models/)',
    });
    expect(modelOfUrl('http://127.0.0.1:8080/models/onnx-community/Qwen2.5-0.5B-Instruct/config.json', '/models/')!.id).toBe(
      'onnx-community/Qwen2.5-0.5B-Instruct',
    );
    expect(modelOfUrl('http://127.0.0.1:8080/assets/app.js', '/models/')).toBeNull();
  });
});
