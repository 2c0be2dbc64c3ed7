// The network log's arithmetic: what the Network card shows a user about where requests went.
import { describe, expect, it } from 'vitest';
import {
  byDestination,
  failureText,
  isNetMessage,
  leavesPage,
  NET_MARK,
  outcomeOf,
  type NetEntry,
  type NetOutcome,
  type ResourceTiming,
} from '../../src/platform/netlog';

const e = (url: string, at: number, transferBytes = 100, outcome: NetOutcome = 'transferred', status: number | null = 200): NetEntry => ({
  url,
  at,
  transferBytes,
  outcome,
  status,
  from: 'page',
});

/** Resource Timing entries as Chromium reported them for each kind of request (measured, see netlog.ts). */
const timing = (t: Partial<ResourceTiming>): ResourceTiming => ({
  transferSize: 0,
  encodedBodySize: 0,
  responseStart: 0,
  responseStatus: 200,
  deliveryType: '',
  ...t,
});

describe('network log', () => {
  it('tells a failed request from a cached one and from one that transferred bytes', () => {
    // Offline, refused, or a host that does not resolve: status 0 and nothing else.
    expect(outcomeOf(timing({ responseStatus: 0 }))).toEqual({ outcome: 'failed', status: 0 });
    // An HTTP error, from this origin (sizes known) or another (sizes hidden): failed, with its status.
    expect(outcomeOf(timing({ responseStatus: 404, transferSize: 304, encodedBodySize: 4, responseStart: 95 }))).toEqual({
      outcome: 'failed',
      status: 404,
    });
    expect(outcomeOf(timing({ responseStatus: 500 }))).toEqual({ outcome: 'failed', status: 500 });
    // Bytes over the network.
    expect(outcomeOf(timing({ transferSize: 5300, encodedBodySize: 5000, responseStart: 72 }))).toEqual({
      outcome: 'transferred',
      status: 200,
    });
    // The browser's cache: nothing over the network, the body known (deliveryType says so where reported).
    expect(outcomeOf(timing({ encodedBodySize: 5000, responseStart: 82, deliveryType: 'cache' }))).toEqual({
      outcome: 'cached',
      status: 200,
    });
    expect(outcomeOf(timing({ encodedBodySize: 5000, responseStart: 82, deliveryType: undefined }))).toEqual({
      outcome: 'cached',
      status: 200,
    });
    // Another origin without Timing-Allow-Origin: it answered, but not whether over the network.
    expect(outcomeOf(timing({}))).toEqual({ outcome: 'undisclosed', status: 200 });
    // A browser that does not report the status never has a failure passed off as a cache hit.
    expect(outcomeOf(timing({ responseStatus: undefined }))).toEqual({ outcome: 'undisclosed', status: null });
    expect(failureText(0)).toBe('network error');
    expect(failureText(404)).toBe('HTTP 404');
  });

  it('counts each destination by outcome, with how the failures failed', () => {
    const log = [
      e('https://huggingface.co/m/resolve/main/config.json', 1, 0, 'failed', 0),
      e('https://huggingface.co/m/resolve/main/tokenizer.json', 2, 0, 'failed', 0),
      e('https://huggingface.co/m/resolve/main/onnx/model.onnx', 3, 0, 'failed', 404),
      e('https://huggingface.co/m/resolve/main/README.md', 4, 0, 'undisclosed'),
      e('https://app.test/assets/a.js', 5, 0, 'cached'),
      e('https://app.test/models/m.onnx', 6, 2000),
    ];
    expect(byDestination(log)).toEqual([
      {
        origin: 'https://huggingface.co',
        requests: 4,
        transferred: 0,
        cached: 0,
        failed: 3,
        undisclosed: 1,
        failures: [
          { text: 'network error', count: 2 },
          { text: 'HTTP 404', count: 1 },
        ],
        transferBytes: 0,
      },
      { origin: 'https://app.test', requests: 2, transferred: 1, cached: 1, failed: 0, undisclosed: 0, failures: [], transferBytes: 2000 },
    ]);
  });

  it('groups requests by origin, most first, and counts only those since a moment', () => {
    const log = [
      e('https://app.test/index.html', 1),
      e('https://app.test/assets/a.js', 2, 0, 'cached'),
      e('https://huggingface.co/x/config.json', 3, 500),
      e('https://app.test/models/m.onnx', 10, 2000),
    ];
    expect(byDestination(log).map((d) => [d.origin, d.requests, d.transferBytes])).toEqual([
      ['https://app.test', 3, 2100],
      ['https://huggingface.co', 1, 500],
    ]);
    expect(byDestination(log, 5).map((d) => [d.origin, d.requests, d.transferBytes])).toEqual([['https://app.test', 1, 2000]]);
    expect(byDestination(log, 11)).toEqual([]);
  });

  it('counts only URLs that can leave the machine, and recognises a worker report', () => {
    expect(['https://a', 'http://b', 'wss://c'].every(leavesPage)).toBe(true);
    expect(['data:text/plain,x', 'blob:https://a/1', 'chrome-extension://x/y'].some(leavesPage)).toBe(false);
    expect(isNetMessage({ [NET_MARK]: true, entries: [] })).toBe(true);
    expect(isNetMessage({ rpc: 'event' })).toBe(false);
  });
});
