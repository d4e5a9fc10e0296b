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

/**
 * An upper-triangular R with RᵀR = G for a symmetric positive semi-definite G (Cholesky, with a
 * pivot at or below tol × the largest diagonal entry taken as 0 and its row left zero), row-major n×n.
 */
export function psdFactor(G: ArrayLike<number>, n: number, tol = 1e-10): Float64Array {
  const R = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, G[i * n + i]!);
  for (let i = 0; i < n; i++) {
    let pivot = G[i * n + i]!;
    for (let k = 0; k < i; k++) pivot -= R[k * n + i]! ** 2;
    if (!(pivot > tol * scale)) continue; // a direction G does not span: the row stays 0
    const r = Math.sqrt(pivot);
    R[i * n + i] = r;
    for (let j = i + 1; j < n; j++) {
      let s = G[i * n + j]!;
      for (let k = 0; k < i; k++) s -= R[k * n + i]! * R[k * n + j]!;
      R[i * n + j] = s / r;
    }
  }
  return R;
}

/**
 * The eigenvalues of a real n×n matrix (row-major), as real and imaginary parts: reduction to upper
 * Hessenberg form by stabilised elimination, then Francis's double-shift QR iteration, deflating a
 * 1×1 or 2×2 block at a time. Complex eigenvalues come in conjugate pairs.
 */
export function eigenvalues(matrix: ArrayLike<number>, n: number): { re: Float64Array; im: Float64Array } {
  // 1-indexed working copy: a[i][j], i, j = 1 … n
  const a = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Float64Array(n + 1);
    if (i > 0) for (let j = 1; j <= n; j++) row[j] = matrix[(i - 1) * n + (j - 1)]!;
    return row;
  });
  if (a.some((row) => row.some((x) => !Number.isFinite(x)))) throw new Error("eigenvalues: the matrix has a NaN or infinite entry");
  // Hessenberg form: zero column m−1 below the subdiagonal, pivoting on its largest entry
  for (let m = 2; m < n; m++) {
    let x = 0, p = m;
    for (let j = m; j <= n; j++) if (Math.abs(a[j]![m - 1]!) > Math.abs(x)) (x = a[j]![m - 1]!), (p = j);
    if (p !== m) {
      for (let j = m - 1; j <= n; j++) [a[p]![j], a[m]![j]] = [a[m]![j]!, a[p]![j]!];
      for (let j = 1; j <= n; j++) [a[j]![p], a[j]![m]] = [a[j]![m]!, a[j]![p]!];
    }
    if (x === 0) continue;
    for (let i = m + 1; i <= n; i++) {
      const y = a[i]![m - 1]! / x;
      if (y === 0) continue;
      a[i]![m - 1] = 0;
      for (let j = m; j <= n; j++) a[i]![j]! -= y * a[m]![j]!;
      for (let j = 1; j <= n; j++) a[j]![m]! += y * a[j]![i]!;
    }
  }
  const re = new Float64Array(n + 1), im = new Float64Array(n + 1);
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(a[i]![j]!);
  let nn = n, t = 0;
  while (nn >= 1) {
    let its = 0, l: number;
    do {
      // a negligible subdiagonal entry splits the matrix at l
      for (l = nn; l >= 2; l--) {
        let s = Math.abs(a[l - 1]![l - 1]!) + Math.abs(a[l]![l]!);
        if (s === 0) s = anorm;
        if (Math.abs(a[l]![l - 1]!) <= Number.EPSILON * s) {
          a[l]![l - 1] = 0;
          break;
        }
      }
      let x = a[nn]![nn]!;
      if (l === nn) {
        re[nn] = x + t; // one root
        im[nn--] = 0;
      } else {
        let y = a[nn - 1]![nn - 1]!, w = a[nn]![nn - 1]! * a[nn - 1]![nn]!;
        if (l === nn - 1) {
          // two roots: the trailing 2×2 block's
          const p = 0.5 * (y - x), q = p * p + w;
          let z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + (p >= 0 ? z : -z);
            re[nn - 1] = re[nn] = x + z;
            if (z !== 0) re[nn] = x - w / z;
            im[nn - 1] = im[nn] = 0;
          } else {
            re[nn - 1] = re[nn] = x + p;
            im[nn - 1] = -(im[nn] = z);
          }
          nn -= 2;
        } else {
          if (its === 60) throw new Error(`eigenvalues: no convergence after ${its} iterations`);
          if (its % 10 === 0 && its > 0) {
            // an exceptional shift
            t += x;
            for (let i = 1; i <= nn; i++) a[i]![i]! -= x;
            const s = Math.abs(a[nn]![nn - 1]!) + Math.abs(a[nn - 1]![nn - 2]!);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          its++;
          // look for two consecutive small subdiagonal entries
          let m: number, p = 0, q = 0, r = 0, z: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m]![m]!;
            r = x - z;
            let s = y - z;
            p = (r * s - w) / a[m + 1]![m]! + a[m]![m + 1]!;
            q = a[m + 1]![m + 1]! - z - r - s;
            r = a[m + 2]![m + 1]!;
            s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m]![m - 1]!) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1]![m - 1]!) + Math.abs(z) + Math.abs(a[m + 1]![m + 1]!));
            if (u <= Number.EPSILON * v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i]![i - 2] = 0;
            if (i !== m + 2) a[i]![i - 3] = 0;
          }
          // the double QR step on rows and columns l … nn
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k]![k - 1]!;
              q = a[k + 1]![k - 1]!;
              r = k !== nn - 1 ? a[k + 2]![k - 1]! : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const norm = Math.sqrt(p * p + q * q + r * r);
            const s = p >= 0 ? norm : -norm;
            if (s === 0) continue;
            if (k === m) {
              if (l !== m) a[k]![k - 1] = -a[k]![k - 1]!;
            } else a[k]![k - 1] = -s * x;
            p += s;
            x = p / s;
            y = q / s;
            z = r / s;
            q /= p;
            r /= p;
            for (let j = k; j <= nn; j++) {
              p = a[k]![j]! + q * a[k + 1]![j]!;
              if (k !== nn - 1) {
                p += r * a[k + 2]![j]!;
                a[k + 2]![j]! -= p * z;
              }
              a[k + 1]![j]! -= p * y;
              a[k]![j]! -= p * x;
            }
            const last = Math.min(nn, k + 3);
            for (let i = l; i <= last; i++) {
              p = x * a[i]![k]! + y * a[i]![k + 1]!;
              if (k !== nn - 1) {
                p += z * a[i]![k + 2]!;
                a[i]![k + 2]! -= p * r;
              }
              a[i]![k + 1]! -= p * q;
              a[i]![k]! -= p;
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: re.subarray(1), im: im.subarray(1) };
}
