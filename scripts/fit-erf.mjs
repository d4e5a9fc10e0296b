// The rational erf of the inference GELU ($gelu_rational4 in src/tensor/wasm/kernels.wat), fitted
// here: erf(x) ≈ x·P(s)/Q(s) with s = x²/c², P of degree 5, Q of degree 5 with Q(0) = 1, on
// [0, c], c = 3.92 (past it erf rounds to 1 in float32). Linearised least squares — minimise
// Σ wᵢ(xᵢP(sᵢ) − erf(xᵢ)Q(sᵢ))²/Q_prev(sᵢ)² — with Lawson's reweighting towards the minimax error,
// against the float64 erf of src/tensor/erf.js (a series and a continued fraction, not a fit).
// Prints the float64 error, the coefficients as the kernel takes them (folded for erf(x/√2) in
// terms of x²: the GELU's own variable), and the worst float32 error of the kernel's evaluation.
// Run: npm run build && node scripts/fit-erf.mjs

import { erf } from "../dist/src/tensor/erf.js";

const P_DEGREE = 5, Q_DEGREE = 5, C = 3.92, POINTS = 4000, ROUNDS = 60;
const xs = Array.from({ length: POINTS }, (_, i) => (C * (1 - Math.cos((Math.PI * (i + 0.5)) / POINTS))) / 2); // denser at the ends
const poly = (co, s) => co.reduceRight((acc, k) => acc * s + k, 0);

/** Least squares min ‖Ax − b‖ by Householder QR (rows of A as arrays). */
function leastSquares(A, b) {
  const m = A.length, n = A[0].length, R = A.map((r) => [...r]), y = [...b];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += R[i][k] ** 2;
    const alpha = R[k][k] > 0 ? -Math.sqrt(norm) : Math.sqrt(norm);
    const v = new Array(m).fill(0);
    for (let i = k; i < m; i++) v[i] = R[i][k];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] ** 2;
    if (vv === 0) continue;
    const reflect = (get, set) => {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * get(i);
      d = (2 * d) / vv;
      for (let i = k; i < m; i++) set(i, get(i) - d * v[i]);
    };
    for (let j = k; j < n; j++) reflect((i) => R[i][j], (i, x) => (R[i][j] = x));
    reflect((i) => y[i], (i, x) => (y[i] = x));
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < n; j++) s -= R[i][j] * x[j];
    x[i] = s / R[i][i];
  }
  return x;
}

let P = [1], Q = [1], w = xs.map(() => 1), best = null;
for (let round = 0; round < ROUNDS; round++) {
  const rows = [], rhs = [];
  xs.forEach((x, i) => {
    const s = (x * x) / (C * C), e = erf(x), scale = w[i] / poly(Q, s);
    rows.push([...Array.from({ length: P_DEGREE + 1 }, (_, k) => x * s ** k * scale), ...Array.from({ length: Q_DEGREE }, (_, k) => -e * s ** (k + 1) * scale)]);
    rhs.push(e * scale);
  });
  const solution = leastSquares(rows, rhs);
  P = solution.slice(0, P_DEGREE + 1);
  Q = [1, ...solution.slice(P_DEGREE + 1)];
  const errors = xs.map((x) => { const s = (x * x) / (C * C); return (x * poly(P, s)) / poly(Q, s) - erf(x); });
  const worst = Math.max(...errors.map(Math.abs));
  if (best === null || worst < best.worst) best = { worst, P: [...P], Q: [...Q] };
  const total = errors.reduce((a, e, i) => a + w[i] * Math.abs(e), 0);
  w = w.map((wi, i) => Math.sqrt((wi * Math.abs(errors[i]) * POINTS) / total + 1e-300));
}

let worst64 = 0, minQ = Infinity;
for (let i = 0; i <= 200_000; i++) {
  const x = (C * i) / 200_000, s = (x * x) / (C * C);
  worst64 = Math.max(worst64, Math.abs((x * poly(best.P, s)) / poly(best.Q, s) - erf(x)));
  minQ = Math.min(minQ, poly(best.Q, s));
}
console.log(`erf(x) ≈ x·P(x²/c²)/Q(x²/c²) on [0, ${C}]: worst error ${worst64.toExponential(2)} in float64 (Q ≥ ${minQ.toFixed(3)}: no pole)`);

// For the kernel: ½erf(x/√2) = x·P'(x²)/Q'(x²), P'ₖ = Pₖ/(2√2·(2c²)ᵏ), Q'ₖ = Qₖ/(2c²)ᵏ, x clamped to ±c√2;
// in float32 (the ½ is exact there: the kernel's Φ = ½ + x·P'/Q' has the bits of ½(1 + x·2P'/Q')).
const f = Math.fround;
const Pk = best.P.map((v, k) => f((v * Math.SQRT1_2) / 2 / (2 * C * C) ** k)), Qk = best.Q.map((v, k) => f(v / (2 * C * C) ** k)), clamp = f(C * Math.SQRT2);
console.log(`P' (1, x², … x¹⁰): ${Pk.map((v) => v.toPrecision(9)).join(" ")}`);
console.log(`Q' (1, x², … x¹⁰): ${Qk.map((v) => v.toPrecision(9)).join(" ")}`);
console.log(`clamp: ±${clamp.toPrecision(9)}`);
const horner = (co, s, fused) => co.slice(0, -1).reduceRight((acc, k) => (fused ? f(acc * s + k) : f(f(acc * s) + k)), co.at(-1));
for (const fused of [false, true]) {
  let worst = 0;
  for (let i = 0; i <= 400_000; i++) {
    const x = f(-8 + (16 * i) / 400_000), c = Math.min(Math.max(x, -clamp), clamp), s = f(c * c);
    worst = Math.max(worst, Math.abs(2 * f(f(c * horner(Pk, s, fused)) / horner(Qk, s, fused)) - erf(x * Math.SQRT1_2)));
  }
  console.log(`float32, ${fused ? "fused multiply-add" : "mul then add"}: erf(x/√2) within ${worst.toExponential(2)} on [−8, 8]`);
}
