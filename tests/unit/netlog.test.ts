// The network log's arithmetic: what the Network card shows a user about where requests went.
import { describe, expect, it } from 'vitest';
import { byDestination, isNetMessage, leavesPage, NET_MARK, type NetEntry } from '../../src/platform/netlog';

const e = (url: string, at: number, transferBytes = 100): NetEntry => ({ url, at, transferBytes, from: 'page' });

describe('network log', () => {
  it('groups requests by origin, most first, and counts only those since a moment', () => {
    const log = [
      e('https://app.test/index.html', 1),
      e('https://app.test/assets/a.js', 2, 0),
      e('https://huggingface.co/x/config.json', 3, 500),
      e('https://app.test/models/m.onnx', 10, 2000),
    ];
    expect(byDestination(log)).toEqual([
      { origin: 'https://app.test', requests: 3, transferBytes: 2100 },
      { origin: 'https://huggingface.co', requests: 1, transferBytes: 500 },
    ]);
    expect(byDestination(log, 5)).toEqual([{ origin: 'https://app.test', requests: 1, transferBytes: 2000 }]);
    expect(byDestination(log, 11)).toEqual([]);
  });

  it('counts only URLs that can leave the machine, and recognises a worker report', () => {
    expect(['https://a', 'http://b', 'wss://c'].every(leavesPage)).toBe(true);
    expect(['data:text/plain,x', 'blob:https://a/1', 'chrome-extension://x/y'].some(leavesPage)).toBe(false);
    expect(isNetMessage({ [NET_MARK]: true, entries: [] })).toBe(true);
    expect(isNetMessage({ rpc: 'event' })).toBe(false);
  });
});
