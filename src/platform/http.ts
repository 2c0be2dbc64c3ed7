/** Reading a response body with byte progress: shared by the web-llm download and the workshop kit. DOM-free. */

/** The whole body, calling `onBytes` with the running total after each piece; throws what the stream throws. */
export async function readBody(res: Response, onBytes?: (received: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) throw new Error('The response has no body.');
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
    onBytes?.(received);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
