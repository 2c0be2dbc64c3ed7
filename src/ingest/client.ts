/** The page's side of the ingest worker. */

import { RpcClient, type CallOptions, type Endpoint } from '../core/rpc';
import type { IngestProtocol, IngestRequest, IngestResult } from './protocol';
import type { Progress } from '../core/progress';

export class WorkerIngester {
  readonly rpc: RpcClient<IngestProtocol>;

  constructor(endpoint: Endpoint) {
    this.rpc = new RpcClient<IngestProtocol>(endpoint);
  }

  /** The library worker's port: parsed documents are stored through it. */
  connectLibrary(port: MessagePort): Promise<null> {
    return this.rpc.call('connectLibrary', { port }, { transfer: [port] });
  }

  ingest(req: IngestRequest, opts: CallOptions<Progress> = {}): Promise<IngestResult> {
    return this.rpc.call('ingest', req, opts);
  }
}
