/** Deterministic random unit vectors for index tests. */
export function randomUnitVectors(count: number, dim: number, seed = 42): Float32Array[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dim }, gaussian);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
}
