import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import { chunkId, parseChunkId, tryParseChunkId } from '../../src/core/ids';

describe('chunk ids', () => {
  it("are the document id, ':' and the ordinal", () => {
    expect(chunkId('3f2a9c', 0)).toBe('3f2a9c:0');
    expect(chunkId('3f2a9c', 41)).toBe('3f2a9c:41');
  });

  it('parse back into the document id and ordinal they were made from', () => {
    for (const [docId, ordinal] of [
      ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0],
      ['d', 7],
      ['doc-a', 12345],
    ] as const) {
      expect(parseChunkId(chunkId(docId, ordinal))).toEqual({ docId, ordinal });
    }
  });

  it("split at the last ':', so a document id may hold ':' itself (BEIR corpus ids)", () => {
    expect(parseChunkId(chunkId('PMID:1234:v2', 3))).toEqual({ docId: 'PMID:1234:v2', ordinal: 3 });
    expect(parseChunkId(chunkId('a:', 0))).toEqual({ docId: 'a:', ordinal: 0 });
  });

  it('reject strings chunkId cannot have made', () => {
    for (const bad of ['nonsense', ':3', 'doc:', 'doc:-1', 'doc:1.5', 'doc:1e2', 'doc: 2', 'doc:0x1', 'doc:abc']) {
      expect(tryParseChunkId(bad), bad).toBeNull();
      let thrown: unknown;
      try {
        parseChunkId(bad);
      } catch (e) {
        thrown = e;
      }
      expect(isAppError(thrown, 'InvalidRequest'), bad).toBe(true);
    }
  });
});
