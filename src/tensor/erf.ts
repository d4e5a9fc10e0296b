// The error function in float64, accurate to a few ulps: JavaScript has no Math.erf.
// Two classical expansions, each used where it converges fast:
//   |x| < 2.5:  erf(x)  = (2/√π)·e^(−x²)·Σₙ (2x²)ⁿ·x / (1·3·5···(2n+1))   (all terms positive)
//   |x| ≥ 2.5:  erfc(x) = (e^(−x²)/√π) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
// evaluated by the modified Lentz method.

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  if (ax < 2.5) {
    const x2 = 2 * ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const r = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
    return x < 0 ? -r : r;
  }
  const r = 1 - erfcContinuedFraction(ax);
  return x < 0 ? -r : r;
}

function erfcContinuedFraction(x: number): number {
  // erfc(x) = e^(−x²)/√π · 1/(x + a₁/(x + a₂/(x + …))), aₙ = n/2.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/**
 * A fast erf with absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26): enough for float32
 * inference, where it replaces the series. Training and the reference keep the exact erf above.
 */
export function erfFast(x: number): number {
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return x < 0 ? -y : y;
}
