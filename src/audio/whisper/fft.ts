/**
 * A mixed-radix Cooley–Tukey FFT for any length whose factors are small (Whisper's n_fft is
 * 400 = 2⁴·5²), with twiddles computed once per length.
 */
export class Fft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly factors: number[];

  constructor(readonly n: number) {
    this.cos = Float64Array.from({ length: n }, (_, k) => Math.cos((2 * Math.PI * k) / n));
    this.sin = Float64Array.from({ length: n }, (_, k) => -Math.sin((2 * Math.PI * k) / n));
    this.factors = [];
    let m = n;
    for (const p of [4, 2, 3, 5]) while (m % p === 0) (this.factors.push(p), (m /= p));
    for (let p = 7; m > 1; p += 2) while (m % p === 0) (this.factors.push(p), (m /= p));
  }

  /** The DFT of a real signal: writes re and im (length n). */
  transform(input: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    this.recurse(input, 0, 1, this.n, 0, re, im, 0);
  }

  private recurse(x: ArrayLike<number>, offset: number, stride: number, n: number, level: number, re: Float64Array, im: Float64Array, out: number): void {
    if (n === 1) {
      re[out] = x[offset]!;
      im[out] = 0;
      return;
    }
    const p = this.factors[level]!;
    const m = n / p;
    // p interleaved sub-DFTs of length m, written one after another.
    for (let q = 0; q < p; q++) this.recurse(x, offset + q * stride, stride * p, m, level + 1, re, im, out + q * m);
    const step = this.n / n;
    const small = this.n / p;
    for (let k = 0; k < m; k++) {
      for (let q = 0; q < p; q++) {
        // twiddle W_n^{q·k} applied to sub-DFT q's bin k (q·k·step < N, no wrap)
        const w = q * k * step;
        const a = re[out + q * m + k]!;
        const b = im[out + q * m + k]!;
        tr[q] = a * this.cos[w]! - b * this.sin[w]!;
        ti[q] = a * this.sin[w]! + b * this.cos[w]!;
      }
      // a p-point DFT of the twiddled values: W_p^{q·s} = W_N^{((q·s) mod p)·N/p}
      for (let s = 0; s < p; s++) {
        let sr = 0;
        let si = 0;
        for (let q = 0; q < p; q++) {
          const w = ((q * s) % p) * small;
          sr += tr[q]! * this.cos[w]! - ti[q]! * this.sin[w]!;
          si += tr[q]! * this.sin[w]! + ti[q]! * this.cos[w]!;
        }
        re[out + s * m + k] = sr;
        im[out + s * m + k] = si;
      }
    }
  }
}

/** Scratch for one butterfly (factors are at most 64). */
const tr = new Float64Array(64);
const ti = new Float64Array(64);
