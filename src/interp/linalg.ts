// Just enough linear algebra for subspace comparisons, in float64: an orthonormal basis of a
// set of vectors (modified Gram–Schmidt) and the eigenvalues of a symmetric matrix (Jacobi).

/** An orthonormal basis of the span of `rows` (vectors whose remaining norm falls below tol are dropped). */
export function orthonormalBasis(rows: readonly (readonly number[])[], tol = 1e-10): number[][] {
  const basis: number[][] = [];
  for (const r of rows) {
    const v = [...r];
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = v.reduce((s, x, i) => s + x * q[i]!, 0);
        for (let i = 0; i < v.length; i++) v[i]! -= c * q[i]!;
      }
    }
    const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const scale = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
    if (n > tol * Math.max(1, scale)) basis.push(v.map((x) => x / n));
  }
  return basis;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, largest first. */
export function symmetricEigenvalues(matrix: readonly (readonly number[])[]): number[] {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!, akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!, aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]!).sort((x, y) => y - x);
}

/**
 * Principal angles (radians, smallest first) between the spans of two sets of vectors:
 * the arccosines of the singular values of Q₁Q₂ᵀ for orthonormal bases Q₁, Q₂.
 */
export function principalAngles(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[] {
  const qa = orthonormalBasis(a), qb = orthonormalBasis(b);
  if (qa.length === 0 || qb.length === 0) return [];
  const [small, large] = qa.length <= qb.length ? [qa, qb] : [qb, qa];
  const m = small.map((u) => large.map((v) => u.reduce((s, x, i) => s + x * v[i]!, 0))); // [r_small, r_large]
  const mmT = m.map((r1) => m.map((r2) => r1.reduce((s, x, i) => s + x * r2[i]!, 0)));
  return symmetricEigenvalues(mmT).map((e) => Math.acos(Math.min(1, Math.sqrt(Math.max(0, e)))));
}
