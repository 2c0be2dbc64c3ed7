/** File sizes for people, shared by the ingest worker's messages and the page (kept import-free). */

export function formatBytes(n: number): string {
  // Storage quotas run to many GB; file sizes rarely pass the MB range.
  if (n >= 1_073_741_824) return `${(n / 1_073_741_824).toFixed(1)} GB`;
  if (n >= 1_048_576) return `${(n / 1_048_576).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}
