/**
 * Randomness as a port: code that needs chance (retry jitter, simulated prices, the paper
 * venue's rejections) takes a `Random`, so a test or a backtest with the same seed makes
 * the same draws. The wiring passes `Math.random`; everything else a seeded source.
 */

/** Uniform in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a 32-bit state generator, fast and good enough for simulation (not for
 * secrets). The same seed always yields the same sequence on every platform.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller); takes two uniforms per call. */
export function normalDraw(random: Random): number {
  // 1 − u is in (0, 1], so the logarithm is finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
