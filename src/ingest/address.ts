/**
 * Source-address allowlists: exact IPv4/IPv6 addresses and CIDR ranges. Parsed here rather
 * than with node:net because ingest is pure code that must not import networking modules.
 */

interface Rule {
  bytes: Uint8Array;
  prefix: number;
}

export interface AddressMatcher {
  /** Normalised exact addresses: the usual request is allowed by one set lookup. */
  readonly exact: ReadonlySet<string>;
  readonly v4: readonly Rule[];
  readonly v6: readonly Rule[];
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4; hex digits in lower case. */
export function normaliseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function parseV4(text: string): Uint8Array | undefined {
  const m = V4.exec(text);
  return m ? Uint8Array.of(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])) : undefined;
}

function parseV6(text: string): Uint8Array | undefined {
  if (text.length > 45 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parts = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = parts(halves[0]!);
  const tail = halves.length === 2 ? parts(halves[1]!) : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  // An embedded IPv4 address may end the address (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`).
  const last = all[all.length - 1];
  let v4: Uint8Array | undefined;
  if (last !== undefined && last.includes('.')) {
    v4 = parseV4(last);
    if (!v4) return undefined;
    (tail.length ? tail : head).pop();
  }
  const groups = 8 - (v4 ? 2 : 0);
  const missing = groups - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  for (const h of head) words.push(Number.parseInt(h, 16));
  for (let i = 0; i < (halves.length === 2 ? missing : 0); i++) words.push(0);
  for (const t of tail) words.push(Number.parseInt(t, 16));
  if (![...head, ...tail].every((w) => HEXTET.test(w))) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** 4 or 16 bytes (IPv4-mapped IPv6 becomes IPv4), or undefined when `text` is not an address. */
export function parseAddress(text: string): Uint8Array | undefined {
  const a = normaliseAddress(text);
  if (!a.includes(':')) return parseV4(a);
  const bytes = parseV6(a);
  // Any spelling of ::ffff:a.b.c.d, e.g. 0:0:0:0:0:ffff:0102:0304.
  if (bytes && bytes[10] === 0xff && bytes[11] === 0xff && bytes.subarray(0, 10).every((b) => b === 0)) return bytes.slice(12);
  return bytes;
}

function prefixMatches(rule: Rule, bytes: Uint8Array): boolean {
  let bits = rule.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((rule.bytes[i]! & mask) !== (bytes[i]! & mask)) return false;
  }
  return true;
}

/** Builds a matcher; returns the entries that are neither an address nor a CIDR range as `invalid`. */
export function addressMatcher(entries: readonly string[]): { matcher: AddressMatcher; invalid: string[] } {
  const exact = new Set<string>();
  const v4: Rule[] = [];
  const v6: Rule[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const bytes = parseAddress(address);
    const max = bytes?.length === 4 ? 32 : 128;
    const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1).trim();
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!bytes || !(prefix <= max)) {
      invalid.push(entry);
      continue;
    }
    if (slash === -1) exact.add(normaliseAddress(address));
    (bytes.length === 4 ? v4 : v6).push({ bytes, prefix });
  }
  return { matcher: { exact, v4, v6 }, invalid };
}

export function addressAllowed(m: AddressMatcher, remoteAddr: string): boolean {
  if (m.exact.has(normaliseAddress(remoteAddr))) return true;
  if (m.v4.length === 0 && m.v6.length === 0) return false;
  const bytes = parseAddress(remoteAddr);
  if (!bytes) return false;
  for (const rule of bytes.length === 4 ? m.v4 : m.v6) if (prefixMatches(rule, bytes)) return true;
  return false;
}
