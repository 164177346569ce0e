/** Number formatting for the printed tables. */
export const fmt = {
  int: (n) => (n == null || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US')),
  ms: (n) => (n == null || Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString()),
  mb: (bytes) => (bytes == null || Number.isNaN(bytes) ? '-' : (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)),
  mib: (bytes) => (bytes == null || Number.isNaN(bytes) ? '-' : Math.round(bytes / 2 ** 20).toString()),
  text: (s) => (s == null ? '-' : String(s)),
};

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
