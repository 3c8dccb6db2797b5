/**
 * A Bloom filter over the ids in the id index's file (id-index.ts), so that a new id, the
 * common case of every webhook, is known to be absent without a B-tree lookup in that file.
 *
 * Why: that lookup is a random leaf page of a file larger than its page cache, a read
 * syscall and a SQLite statement for every webhook; profiled at saturation it took 11% of
 * the event loop (docs/performance.md). A filter answers "not there" from memory
 * for all but a fraction of ids; a "maybe" still asks the file, so the answer is exact.
 *
 * Scalable (Almeida et al., 2007): it starts small and adds a layer twice as large when
 * the newest is full, so its memory follows the index's size: 2.0–3.4 bytes per id, with
 * 0.04–0.27% false positives, measured from 16k to 1M random ids (docs/performance.md;
 * `test/journal/id-filter.test.ts` checks looser bounds). It never forgets an id
 * (no false negatives), which is what makes skipping the file safe.
 */

/** False positives per layer; each lookup checks every layer, so the total stays under 1% up to ~8 layers. */
const LAYER_ERROR = 0.001;
const BITS_PER_ID = Math.ceil(-Math.log(LAYER_ERROR) / Math.LN2 ** 2); // 15
const PROBES = Math.round(BITS_PER_ID * Math.LN2); // 10
const FIRST_CAPACITY = 16_384;

interface Layer {
  bits: Uint32Array;
  /** Bit count, a power of two, so a position is a mask away. */
  mask: number;
  capacity: number;
  count: number;
}

export class IdFilter {
  private readonly layers: Layer[] = [];
  private h1 = 0;
  private h2 = 0;

  /** Ids added so far (an id added twice counts twice). */
  get size(): number {
    let n = 0;
    for (const l of this.layers) n += l.count;
    return n;
  }

  /** Bytes the bit arrays hold. */
  get bytes(): number {
    let n = 0;
    for (const l of this.layers) n += l.bits.byteLength;
    return n;
  }

  add(id: string): void {
    let layer = this.layers[this.layers.length - 1];
    if (layer === undefined || layer.count >= layer.capacity) {
      layer = newLayer(layer === undefined ? FIRST_CAPACITY : layer.capacity * 2);
      this.layers.push(layer);
    }
    this.hash(id);
    const { bits, mask } = layer;
    let h = this.h1;
    for (let i = 0; i < PROBES; i++) {
      const bit = h & mask;
      bits[bit >>> 5]! |= 1 << (bit & 31);
      h = (h + this.h2) | 0;
    }
    layer.count++;
  }

  /** False: the id was never added. True: it may have been (checked elsewhere). */
  mayHave(id: string): boolean {
    if (this.layers.length === 0) return false;
    this.hash(id);
    for (const { bits, mask } of this.layers) {
      let h = this.h1;
      let all = true;
      for (let i = 0; i < PROBES; i++) {
        const bit = h & mask;
        if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) {
          all = false;
          break;
        }
        h = (h + this.h2) | 0;
      }
      if (all) return true;
    }
    return false;
  }

  /**
   * Two 32-bit hashes of the id in one pass (FNV-1a and a multiply-xor with another
   * constant, each finished with murmur3's mixer), combined as h1 + i·h2 for the probes
   * (Kirsch and Mitzenmacher); h2 is odd so the probes of a power-of-two layer differ.
   */
  private hash(id: string): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.h1 = fmix(a);
    this.h2 = fmix(b ^ id.length) | 1;
  }
}

function newLayer(capacity: number): Layer {
  const size = 2 ** Math.ceil(Math.log2(capacity * BITS_PER_ID));
  return { bits: new Uint32Array(size / 32), mask: size - 1, capacity, count: 0 };
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
