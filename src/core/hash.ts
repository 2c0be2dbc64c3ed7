/**
 * SHA-256 as lowercase hex, through Web Crypto (pages, workers and Node alike): a document's id is
 * its content's hash (ingest), and a bundle records and checks the hash of every file it holds.
 */

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
