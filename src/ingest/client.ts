/** The page's side of the ingest worker. */

import { RpcClient, type CallOptions, type Endpoint } from '../core/rpc';
import type { IngestProtocol, IngestRequest, IngestResult } from './protocol';
import type { Progress } from '../core/progress';

export class WorkerIngester {
  readonly rpc: RpcClient<IngestProtocol>;

  constructor(endpoint: Endpoint) {
    this.rpc = new RpcClient<IngestProtocol>(endpoint);
  }

  ingest(req: IngestRequest, opts: CallOptions<Progress> = {}): Promise<IngestResult> {
    return this.rpc.call('ingest', req, opts);
  }
}
