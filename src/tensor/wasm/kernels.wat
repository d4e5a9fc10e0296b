;; The WebAssembly SIMD kernels (128-bit, f32x4). All pointers are byte offsets into the
;; module's memory; counts are in elements. The plain-TypeScript kernels (kernels-js.ts) are
;; the reference each of these is tested against. Address 0 is never a real operand, so an
;; optional pointer (a bias) is "absent" when 0.
;;
;; Matrix product: B is packed by the caller into panels of 16 columns (panel j/16 at
;; bp + (j/16)·k·64, row p of a panel 64 bytes long). A 2×16 output tile lives in 8
;; accumulators; A's two rows are broadcast with load32_splat, four vectors of B are loaded
;; per step; the k loop is not unrolled (V8 would hoist and spill); k is blocked at 256 so a
;; panel's block stays in L1 while the rows of A stream past it, and m at 128 so those rows'
;; block (128 KiB) stays in L2 across the panels (768³: 1.04–1.06× on one thread, 1024³:
;; 1.13×). Blocking does not change the order of any sum: every output is C₀ + Σₚ a·b in
;; increasing p.
(module
  (memory (export "memory") 1) ;; @memory: the threaded build imports a shared memory here

  ;; Splatted constants of the vector math, as immutable globals: V8 rebuilds a v128.const
  ;; from immediates at every use (several instructions), but reads a global with one load.
  (global $f32x4:-0.5 v128 (v128.const f32x4 -0.5 -0.5 -0.5 -0.5))
  (global $f32x4:-2.12194440e-4 v128 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
  (global $f32x4:-87.33654 v128 (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654))
  (global $f32x4:-inf v128 (v128.const f32x4 -inf -inf -inf -inf))
  (global $f32x4:0.044715 v128 (v128.const f32x4 0.044715 0.044715 0.044715 0.044715))
  (global $f32x4:0.134145 v128 (v128.const f32x4 0.134145 0.134145 0.134145 0.134145))
  (global $f32x4:0.254829592 v128 (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592))
  (global $f32x4:0.284496736 v128 (v128.const f32x4 0.284496736 0.284496736 0.284496736 0.284496736))
  (global $f32x4:0.3275911 v128 (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911))
  (global $f32x4:0.3989422804014327 v128 (v128.const f32x4 0.3989422804014327 0.3989422804014327 0.3989422804014327 0.3989422804014327))
  (global $f32x4:0.5 v128 (v128.const f32x4 0.5 0.5 0.5 0.5))
  (global $f32x4:0.693359375 v128 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
  (global $f32x4:0.7071067811865476 v128 (v128.const f32x4 0.7071067811865476 0.7071067811865476 0.7071067811865476 0.7071067811865476))
  (global $f32x4:0.7978845608028654 v128 (v128.const f32x4 0.7978845608028654 0.7978845608028654 0.7978845608028654 0.7978845608028654))
  (global $f32x4:1 v128 (v128.const f32x4 1 1 1 1))
  (global $f32x4:1.061405429 v128 (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429))
  (global $f32x4:1.3981999507e-3 v128 (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
  (global $f32x4:1.421413741 v128 (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741))
  (global $f32x4:1.44269504088896341 v128 (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
  (global $f32x4:1.453152027 v128 (v128.const f32x4 1.453152027 1.453152027 1.453152027 1.453152027))
  (global $f32x4:1.6666665459e-1 v128 (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
  (global $f32x4:1.9875691500e-4 v128 (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
  (global $f32x4:2 v128 (v128.const f32x4 2 2 2 2))
  (global $f32x4:4.1665795894e-2 v128 (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
  (global $f32x4:5.0000001201e-1 v128 (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
  (global $f32x4:8.3334519073e-3 v128 (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
  (global $f32x4:88 v128 (v128.const f32x4 88 88 88 88))
  (global $i32x4:0x80000000 v128 (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
  (global $i32x4:-1262485377 v128 (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
  (global $i32x4:-1_0_0_0 v128 (v128.const i32x4 -1 0 0 0))
  (global $i32x4:-1_-1_0_0 v128 (v128.const i32x4 -1 -1 0 0))
  (global $i32x4:-1_-1_-1_0 v128 (v128.const i32x4 -1 -1 -1 0))
  (global $f32x4:12582912 v128 (v128.const f32x4 12582912 12582912 12582912 12582912))
  (global $f32x4:0.398942232 v128 (v128.const f32x4 0.398942232 0.398942232 0.398942232 0.398942232))
  (global $f32x4:0.0339869745 v128 (v128.const f32x4 0.0339869745 0.0339869745 0.0339869745 0.0339869745))
  (global $f32x4:0.00468385313 v128 (v128.const f32x4 0.00468385313 0.00468385313 0.00468385313 0.00468385313))
  (global $f32x4:0.000169963649 v128 (v128.const f32x4 0.000169963649 0.000169963649 0.000169963649 0.000169963649))
  (global $f32x4:0.00000633798072 v128 (v128.const f32x4 0.00000633798072 0.00000633798072 0.00000633798072 0.00000633798072))
  (global $f32x4:2.25040431e-8 v128 (v128.const f32x4 2.25040431e-8 2.25040431e-8 2.25040431e-8 2.25040431e-8))
  (global $f32x4:0.251858681 v128 (v128.const f32x4 0.251858681 0.251858681 0.251858681 0.251858681))
  (global $f32x4:0.0287184957 v128 (v128.const f32x4 0.0287184957 0.0287184957 0.0287184957 0.0287184957))
  (global $f32x4:0.00189097936 v128 (v128.const f32x4 0.00189097936 0.00189097936 0.00189097936 0.00189097936))
  (global $f32x4:0.0000738973249 v128 (v128.const f32x4 0.0000738973249 0.0000738973249 0.0000738973249 0.0000738973249))
  (global $f32x4:0.00000118930427 v128 (v128.const f32x4 0.00000118930427 0.00000118930427 0.00000118930427 0.00000118930427))
  (global $f32x4:5.54371716 v128 (v128.const f32x4 5.54371716 5.54371716 5.54371716 5.54371716))
  (global $f32x4:-5.54371716 v128 (v128.const f32x4 -5.54371716 -5.54371716 -5.54371716 -5.54371716))

  ;; C[2, 16] (+)= A[2, kc] · panel[kc, 16] for `pairs` pairs of rows in turn (A's rows lda bytes
  ;; apart, C's ldc): one call for a whole panel, no call or argument passing per pair of rows.
  ;; bias ≠ 0: 16 floats there added to each row's start (C's or 0) before the products' sum.
  ;; lda = 0: one row alone (pairs = 1; only C's first row is written — accumulating, the row past
  ;; it is read and dropped). In the k loop, A's second row is an add from the first and B's four
  ;; vectors are loaded one at a time: fewer live registers than naming them all (V8 spills past
  ;; sixteen; two steps of k a turn ran twice as slow).
  (func $tile2x16
    (param $pa i32) (param $lda i32) (param $pb i32) (param $pc i32) (param $ldc i32) (param $kc i32) (param $acc i32) (param $pairs i32) (param $bias i32)
    (local $pend i32) (local $p i32) (local $q i32) (local $x0 v128) (local $x1 v128) (local $b v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local.set $pend (i32.add (local.get $pb) (i32.shl (local.get $kc) (i32.const 6))))
    (loop $pair
      (if (local.get $acc)
        (then
          (local.set $c00 (v128.load offset=0 (local.get $pc)))
          (local.set $c01 (v128.load offset=16 (local.get $pc)))
          (local.set $c02 (v128.load offset=32 (local.get $pc)))
          (local.set $c03 (v128.load offset=48 (local.get $pc)))
          (local.set $c10 (v128.load offset=0 (i32.add (local.get $pc) (local.get $ldc))))
          (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $ldc))))
          (local.set $c12 (v128.load offset=32 (i32.add (local.get $pc) (local.get $ldc))))
          (local.set $c13 (v128.load offset=48 (i32.add (local.get $pc) (local.get $ldc))))
        )
        (else
          (local.set $c00 (v128.const f32x4 0 0 0 0))
          (local.set $c01 (v128.const f32x4 0 0 0 0))
          (local.set $c02 (v128.const f32x4 0 0 0 0))
          (local.set $c03 (v128.const f32x4 0 0 0 0))
          (local.set $c10 (v128.const f32x4 0 0 0 0))
          (local.set $c11 (v128.const f32x4 0 0 0 0))
          (local.set $c12 (v128.const f32x4 0 0 0 0))
          (local.set $c13 (v128.const f32x4 0 0 0 0))
        ))
      (if (local.get $bias)
        (then
          (local.set $b (v128.load offset=0 (local.get $bias)))
          (local.set $c00 (f32x4.add (local.get $c00) (local.get $b)))
          (local.set $c10 (f32x4.add (local.get $c10) (local.get $b)))
          (local.set $b (v128.load offset=16 (local.get $bias)))
          (local.set $c01 (f32x4.add (local.get $c01) (local.get $b)))
          (local.set $c11 (f32x4.add (local.get $c11) (local.get $b)))
          (local.set $b (v128.load offset=32 (local.get $bias)))
          (local.set $c02 (f32x4.add (local.get $c02) (local.get $b)))
          (local.set $c12 (f32x4.add (local.get $c12) (local.get $b)))
          (local.set $b (v128.load offset=48 (local.get $bias)))
          (local.set $c03 (f32x4.add (local.get $c03) (local.get $b)))
          (local.set $c13 (f32x4.add (local.get $c13) (local.get $b)))))
      (local.set $p (local.get $pa))
      (local.set $q (local.get $pb))
      (loop $k
        (local.set $x0 (v128.load32_splat (local.get $p)))
        (local.set $x1 (v128.load32_splat (i32.add (local.get $p) (local.get $lda))))
        (local.set $b (v128.load offset=0 (local.get $q)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=16 (local.get $q)))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=32 (local.get $q)))
        (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=48 (local.get $q)))
        (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (br_if $k (i32.lt_u (local.get $q) (local.get $pend))))
      (v128.store offset=0 (local.get $pc) (local.get $c00))
      (v128.store offset=16 (local.get $pc) (local.get $c01))
      (v128.store offset=32 (local.get $pc) (local.get $c02))
      (v128.store offset=48 (local.get $pc) (local.get $c03))
      (if (local.get $lda)
        (then
          (v128.store offset=0 (i32.add (local.get $pc) (local.get $ldc)) (local.get $c10))
          (v128.store offset=16 (i32.add (local.get $pc) (local.get $ldc)) (local.get $c11))
          (v128.store offset=32 (i32.add (local.get $pc) (local.get $ldc)) (local.get $c12))
          (v128.store offset=48 (i32.add (local.get $pc) (local.get $ldc)) (local.get $c13))))
      (local.set $pa (i32.add (local.get $pa) (i32.shl (local.get $lda) (i32.const 1))))
      (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1))))
      (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
      (br_if $pair (local.get $pairs))))

  ;; C[1, 32] (+)= A[1, kc] · two panels (at $pb and $pb + $ps): a single row (decode) whose B
  ;; streams from memory — two panels and two steps of k a turn keep many loads in flight. (V8
  ;; hoists its sixteen loads to the loop's top and spills: on a B in cache $tile1x16 is faster.)
  ;; bias ≠ 0: 32 floats there added to the row's start (C's or 0) first.
  (func $tile1x32
    (param $pa i32) (param $pb i32) (param $ps i32) (param $pc i32) (param $kc i32) (param $acc i32) (param $bias i32)
    (local $pend i32) (local $pend2 i32) (local $x v128) (local $y v128) (local $pb2 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (if (local.get $acc)
      (then
        (local.set $c0 (v128.load offset=0 (local.get $pc)))
        (local.set $c1 (v128.load offset=16 (local.get $pc)))
        (local.set $c2 (v128.load offset=32 (local.get $pc)))
        (local.set $c3 (v128.load offset=48 (local.get $pc)))
        (local.set $c4 (v128.load offset=64 (local.get $pc)))
        (local.set $c5 (v128.load offset=80 (local.get $pc)))
        (local.set $c6 (v128.load offset=96 (local.get $pc)))
        (local.set $c7 (v128.load offset=112 (local.get $pc)))))
    (if (local.get $bias)
      (then
        (local.set $c0 (f32x4.add (local.get $c0) (v128.load offset=0 (local.get $bias))))
        (local.set $c1 (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $bias))))
        (local.set $c2 (f32x4.add (local.get $c2) (v128.load offset=32 (local.get $bias))))
        (local.set $c3 (f32x4.add (local.get $c3) (v128.load offset=48 (local.get $bias))))
        (local.set $c4 (f32x4.add (local.get $c4) (v128.load offset=64 (local.get $bias))))
        (local.set $c5 (f32x4.add (local.get $c5) (v128.load offset=80 (local.get $bias))))
        (local.set $c6 (f32x4.add (local.get $c6) (v128.load offset=96 (local.get $bias))))
        (local.set $c7 (f32x4.add (local.get $c7) (v128.load offset=112 (local.get $bias))))))
    (local.set $pb2 (i32.add (local.get $pb) (local.get $ps)))
    (local.set $pend (i32.add (local.get $pb) (i32.shl (local.get $kc) (i32.const 6))))
    ;; two steps of p per turn (more loads in flight: this loop streams the weights once per token),
    ;; each accumulator still adding p, then p + 1; an odd kc ends with one step alone
    (local.set $pend2 (i32.add (local.get $pb) (i32.shl (i32.and (local.get $kc) (i32.const -2)) (i32.const 6))))
    (block $pairs
      (br_if $pairs (i32.ge_u (local.get $pb) (local.get $pend2)))
      (loop $p
        (local.set $x (v128.load32_splat (local.get $pa)))
        (local.set $y (v128.load32_splat offset=4 (local.get $pa)))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb)))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
        (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
        (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
        (local.set $c4 (f32x4.add (local.get $c4) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb2)))))
        (local.set $c5 (f32x4.add (local.get $c5) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb2)))))
        (local.set $c6 (f32x4.add (local.get $c6) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb2)))))
        (local.set $c7 (f32x4.add (local.get $c7) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb2)))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $y) (v128.load offset=64 (local.get $pb)))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $y) (v128.load offset=80 (local.get $pb)))))
        (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $y) (v128.load offset=96 (local.get $pb)))))
        (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $y) (v128.load offset=112 (local.get $pb)))))
        (local.set $c4 (f32x4.add (local.get $c4) (f32x4.mul (local.get $y) (v128.load offset=64 (local.get $pb2)))))
        (local.set $c5 (f32x4.add (local.get $c5) (f32x4.mul (local.get $y) (v128.load offset=80 (local.get $pb2)))))
        (local.set $c6 (f32x4.add (local.get $c6) (f32x4.mul (local.get $y) (v128.load offset=96 (local.get $pb2)))))
        (local.set $c7 (f32x4.add (local.get $c7) (f32x4.mul (local.get $y) (v128.load offset=112 (local.get $pb2)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
        (local.set $pb2 (i32.add (local.get $pb2) (i32.const 128)))
        (br_if $p (i32.lt_u (local.get $pb) (local.get $pend2)))))
    (if (i32.lt_u (local.get $pb) (local.get $pend))
      (then
        (local.set $x (v128.load32_splat (local.get $pa)))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb)))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
        (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
        (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
        (local.set $c4 (f32x4.add (local.get $c4) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb2)))))
        (local.set $c5 (f32x4.add (local.get $c5) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb2)))))
        (local.set $c6 (f32x4.add (local.get $c6) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb2)))))
        (local.set $c7 (f32x4.add (local.get $c7) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb2)))))))
    (v128.store offset=0 (local.get $pc) (local.get $c0))
    (v128.store offset=16 (local.get $pc) (local.get $c1))
    (v128.store offset=32 (local.get $pc) (local.get $c2))
    (v128.store offset=48 (local.get $pc) (local.get $c3))
    (v128.store offset=64 (local.get $pc) (local.get $c4))
    (v128.store offset=80 (local.get $pc) (local.get $c5))
    (v128.store offset=96 (local.get $pc) (local.get $c6))
    (v128.store offset=112 (local.get $pc) (local.get $c7)))

  ;; C[1, 16] (+)= A[1, kc] · panel[kc, 16]: a single row whose B is in cache (a small model's
  ;; decode, a prefill's odd last row), four accumulators and four loads a step — no spills (the
  ;; locked model's decode 1.2× $tile1x32's). bias ≠ 0: 16 floats there added first.
  (func $tile1x16
    (param $pa i32) (param $pb i32) (param $pc i32) (param $kc i32) (param $acc i32) (param $bias i32)
    (local $pend i32) (local $x v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (if (local.get $acc)
      (then
        (local.set $c0 (v128.load offset=0 (local.get $pc)))
        (local.set $c1 (v128.load offset=16 (local.get $pc)))
        (local.set $c2 (v128.load offset=32 (local.get $pc)))
        (local.set $c3 (v128.load offset=48 (local.get $pc)))))
    (if (local.get $bias)
      (then
        (local.set $c0 (f32x4.add (local.get $c0) (v128.load offset=0 (local.get $bias))))
        (local.set $c1 (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $bias))))
        (local.set $c2 (f32x4.add (local.get $c2) (v128.load offset=32 (local.get $bias))))
        (local.set $c3 (f32x4.add (local.get $c3) (v128.load offset=48 (local.get $bias))))))
    (local.set $pend (i32.add (local.get $pb) (i32.shl (local.get $kc) (i32.const 6))))
    (loop $p
      (local.set $x (v128.load32_splat (local.get $pa)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
      (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
      (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
      (br_if $p (i32.lt_u (local.get $pb) (local.get $pend))))
    (v128.store offset=0 (local.get $pc) (local.get $c0))
    (v128.store offset=16 (local.get $pc) (local.get $c1))
    (v128.store offset=32 (local.get $pc) (local.get $c2))
    (v128.store offset=48 (local.get $pc) (local.get $c3)))

  ;; Where column j's bias is in a bias row at `bias` (byte offset), or 0 (none) when bias is 0.
  (func $bias_at (param $bias i32) (param $j i32) (result i32)
    (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0) (local.get $bias)))

  ;; C[m, j0:j1] (+)= A[m, k] · packed B (columns j0 ≤ j < j1, multiples of 16; A's rows are
  ;; lda bytes apart, C's n16 floats), and + bias[j0:j1] (n16 floats at `bias`) when bias ≠ 0:
  ;; each output (C or 0) + bias, then + Σₚ a·b. Threads split the work by column range. k ≥ 1.
  (func (export "gemm")
    (param $a i32) (param $lda i32) (param $bp i32) (param $c i32) (param $m i32) (param $k i32) (param $n16 i32) (param $acc i32) (param $j0 i32) (param $j1 i32) (param $bias i32)
    (local $ldc i32) (local $biasNow i32) (local $ps i32) (local $k0 i32) (local $kc i32) (local $accNow i32)
    (local $j i32) (local $i i32) (local $mEven i32) (local $panel i32) (local $pa i32) (local $pc i32) (local $mc i32)
    (local.set $ldc (i32.shl (local.get $n16) (i32.const 2)))
    (local.set $ps (i32.shl (local.get $k) (i32.const 6)))
    (local.set $mEven (i32.and (local.get $m) (i32.const -2)))
    (loop $kblock
      ;; a lone row (decode) reuses no panel: read each panel in one sweep, unblocked
      (local.set $kc (select (i32.const 256) (i32.sub (local.get $k) (local.get $k0))
                             (i32.and (i32.gt_u (local.get $m) (i32.const 1))
                                      (i32.gt_u (i32.sub (local.get $k) (local.get $k0)) (i32.const 256)))))
      (local.set $accNow (i32.or (local.get $acc) (i32.ne (local.get $k0) (i32.const 0))))
      (local.set $biasNow (select (local.get $bias) (i32.const 0) (i32.eqz (local.get $k0)))) ;; the first k-block adds it
      ;; pairs of rows, up to MC rows at a time (their block of A stays in L2), panel by panel
      (local.set $i (i32.const 0))
      (block $mdone
        (loop $mloop
          (br_if $mdone (i32.ge_u (local.get $i) (local.get $mEven)))
          (local.set $mc (select (i32.const 128) (i32.sub (local.get $mEven) (local.get $i))
                                 (i32.gt_u (i32.sub (local.get $mEven) (local.get $i)) (i32.const 128))))
          (local.set $j (local.get $j0))
          (block $jdone
            (loop $jloop
              (br_if $jdone (i32.ge_u (local.get $j) (local.get $j1)))
              (local.set $panel (i32.add (local.get $bp) (i32.add (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $ps))
                                                                  (i32.shl (local.get $k0) (i32.const 6)))))
              (call $tile2x16 (i32.add (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))) (i32.shl (local.get $k0) (i32.const 2)))
                (local.get $lda) (local.get $panel)
                (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (i32.shl (local.get $j) (i32.const 2)))
                (local.get $ldc) (local.get $kc) (local.get $accNow) (i32.shr_u (local.get $mc) (i32.const 1))
                (call $bias_at (local.get $biasNow) (local.get $j)))
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br $jloop)))
          (local.set $i (i32.add (local.get $i) (local.get $mc)))
          (br $mloop)))
      ;; the last row when m is odd: on a B in cache, 16 columns a call; on a larger one, 32 at a
      ;; time, then a lone 16
      (if (i32.and (local.get $m) (i32.const 1))
        (then
          (local.set $pa (i32.add (local.get $a) (i32.add (i32.mul (local.get $mEven) (local.get $lda)) (i32.shl (local.get $k0) (i32.const 2)))))
          (local.set $pc (i32.add (local.get $c) (i32.mul (local.get $mEven) (local.get $ldc))))
          (local.set $j (local.get $j0))
          ;; B small enough to stay in cache (≤ 512 KiB): 16 columns a call, four accumulators —
          ;; the 1×32 tile's sixteen loads, hoisted by V8 to the top of its loop, spill there
          (if (i32.le_u (i32.mul (local.get $k) (local.get $n16)) (i32.const 131072))
            (then
              (block $sdone
                (loop $sloop
                  (br_if $sdone (i32.ge_u (local.get $j) (local.get $j1)))
                  (call $tile1x16 (local.get $pa)
                    (i32.add (local.get $bp) (i32.add (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $ps)) (i32.shl (local.get $k0) (i32.const 6))))
                    (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2))) (local.get $kc) (local.get $accNow)
                    (call $bias_at (local.get $biasNow) (local.get $j)))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br $sloop)))))
          (block $rdone
            (loop $rloop
              (br_if $rdone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $j1)))
              (call $tile1x32 (local.get $pa)
                (i32.add (local.get $bp) (i32.add (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $ps)) (i32.shl (local.get $k0) (i32.const 6))))
                (local.get $ps) (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2))) (local.get $kc) (local.get $accNow)
                (call $bias_at (local.get $biasNow) (local.get $j)))
              (local.set $j (i32.add (local.get $j) (i32.const 32)))
              (br $rloop)))
          (if (i32.lt_u (local.get $j) (local.get $j1))
            (then
              (call $tile1x16 (local.get $pa)
                (i32.add (local.get $bp) (i32.add (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $ps)) (i32.shl (local.get $k0) (i32.const 6))))
                (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2))) (local.get $kc) (local.get $accNow)
                (call $bias_at (local.get $biasNow) (local.get $j)))))))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
      (br_if $kblock (i32.lt_u (local.get $k0) (local.get $k)))))

  ;; ---------- vector math ----------

  ;; Horizontal sum of four lanes: (l0 + l1) + (l2 + l3).
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $hmax (param $v v128) (result f32)
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; eˣ per lane (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial in r, times 2ⁿ
  ;; built in the exponent bits); about 1 ulp. Below −87.3 the result is exactly 0 (so a masked
  ;; −∞ score weighs nothing); above 88 it saturates at e⁸⁸; NaN stays NaN.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128) (local $under v128)
    (local.set $under (f32x4.lt (local.get $x) (global.get $f32x4:-87.33654)))
    ;; the clamp with pmax/pmin (one instruction each: x < lo ? lo : x, then hi < x ? hi : x; a NaN
    ;; passes through both, as with max/min, whose NaN and ±0 rules cost several instructions each)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (global.get $f32x4:-87.33654))
                              (global.get $f32x4:88)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (global.get $f32x4:1.44269504088896341))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (global.get $f32x4:0.693359375)))
                             (f32x4.mul (local.get $n) (global.get $f32x4:-2.12194440e-4))))
    (local.set $p (global.get $f32x4:1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $f32x4:1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $f32x4:8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $f32x4:4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $f32x4:1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $f32x4:5.0000001201e-1)))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r))
                             (global.get $f32x4:1)))
    ;; 2ⁿ from n's integer: n + 1.5·2²³ is exact for |n| < 2²² and holds n in its low bits, so its bits
    ;; − 0x4B400000 + 127 is the biased exponent (the same integers trunc_sat gives, in two instructions)
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (f32x4.add (local.get $n) (global.get $f32x4:12582912)) (global.get $i32x4:-1262485377)) (i32.const 23))))
    (v128.andnot (local.get $p) (local.get $under)))

  ;; erf per lane, Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7) — the formula of
  ;; erfFast in erf.ts, evaluated in float32.
  (func $erf4 (param $x v128) (result v128)
    (local $ax v128) (local $t v128) (local $p v128)
    (local.set $ax (f32x4.abs (local.get $x)))
    (local.set $t (f32x4.div (global.get $f32x4:1)
                             (f32x4.add (global.get $f32x4:1) (f32x4.mul (local.get $ax) (global.get $f32x4:0.3275911)))))
    (local.set $p (f32x4.sub (f32x4.mul (local.get $t) (global.get $f32x4:1.061405429))
                             (global.get $f32x4:1.453152027)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (global.get $f32x4:1.421413741)))
    (local.set $p (f32x4.sub (f32x4.mul (local.get $p) (local.get $t)) (global.get $f32x4:0.284496736)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (global.get $f32x4:0.254829592)))
    (local.set $p (f32x4.sub (global.get $f32x4:1)
                             (f32x4.mul (f32x4.mul (local.get $p) (local.get $t))
                                        (call $exp4 (f32x4.neg (f32x4.mul (local.get $ax) (local.get $ax)))))))
    ;; y ≥ 0; give it x's sign
    (v128.or (local.get $p) (v128.and (local.get $x) (global.get $i32x4:0x80000000))))

  ;; tanh per lane as sign(u)·(1 − 2/(e^{2|u|} + 1)).
  (func $tanh4 (param $u v128) (result v128)
    (local $y v128)
    (local.set $y (f32x4.sub (global.get $f32x4:1)
      (f32x4.div (global.get $f32x4:2)
                 (f32x4.add (call $exp4 (f32x4.add (f32x4.abs (local.get $u)) (f32x4.abs (local.get $u)))) (global.get $f32x4:1)))))
    (v128.or (local.get $y) (v128.and (local.get $u) (global.get $i32x4:0x80000000))))

  ;; GPT-2's inner argument √(2/π)·(x + 0.044715x³).
  (func $gelu_arg (param $x v128) (result v128)
    (f32x4.mul (global.get $f32x4:0.7978845608028654)
      (f32x4.add (local.get $x)
        (f32x4.mul (global.get $f32x4:0.044715)
          (f32x4.mul (local.get $x) (f32x4.mul (local.get $x) (local.get $x)))))))

  ;; GELU per lane: x·Φ(x) = ½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
  (func $gelu4 (param $x v128) (param $approx i32) (result v128)
    (f32x4.mul (f32x4.mul (global.get $f32x4:0.5) (local.get $x))
      (f32x4.add (global.get $f32x4:1)
        (if (result v128) (local.get $approx)
          (then (call $tanh4 (call $gelu_arg (local.get $x))))
          (else (call $erf4 (f32x4.mul (local.get $x) (global.get $f32x4:0.7071067811865476))))))))

  ;; GELU′ per lane: Φ(x) + x·φ(x), or the derivative of the tanh form.
  (func $gelu_grad4 (param $x v128) (param $approx i32) (result v128)
    (local $t v128) (local $x2 v128)
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (if (result v128) (local.get $approx)
      (then
        (local.set $t (call $tanh4 (call $gelu_arg (local.get $x))))
        ;; ½(1 + t) + ½x(1 − t²)·√(2/π)·(1 + 3·0.044715x²)
        (f32x4.add (f32x4.mul (global.get $f32x4:0.5) (f32x4.add (global.get $f32x4:1) (local.get $t)))
          (f32x4.mul (f32x4.mul (f32x4.mul (global.get $f32x4:0.5) (local.get $x))
                                (f32x4.sub (global.get $f32x4:1) (f32x4.mul (local.get $t) (local.get $t))))
            (f32x4.mul (global.get $f32x4:0.7978845608028654)
              (f32x4.add (global.get $f32x4:1) (f32x4.mul (global.get $f32x4:0.134145) (local.get $x2)))))))
      (else
        (f32x4.add
          (f32x4.mul (global.get $f32x4:0.5)
            (f32x4.add (global.get $f32x4:1)
              (call $erf4 (f32x4.mul (local.get $x) (global.get $f32x4:0.7071067811865476)))))
          (f32x4.mul (f32x4.mul (local.get $x) (global.get $f32x4:0.3989422804014327))
            (call $exp4 (f32x4.mul (global.get $f32x4:-0.5) (local.get $x2))))))))

  ;; ---------- elementwise and row kernels ----------

  ;; out[i] = GELU(x[i]) for n elements.
  (func (export "gelu") (param $x i32) (param $out i32) (param $n i32) (param $approx i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $x) (local.get $vend)))
        (v128.store (local.get $out) (call $gelu4 (v128.load (local.get $x)) (local.get $approx)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $v)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $out) (f32x4.extract_lane 0 (call $gelu4 (f32x4.splat (f32.load (local.get $x))) (local.get $approx))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $s))))

  ;; dx[i] = g[i]·GELU′(x[i]) for n elements.
  (func (export "gelu_backward") (param $g i32) (param $x i32) (param $dx i32) (param $n i32) (param $approx i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $x) (local.get $vend)))
        (v128.store (local.get $dx) (f32x4.mul (v128.load (local.get $g)) (call $gelu_grad4 (v128.load (local.get $x)) (local.get $approx))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $v)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $dx)
          (f32.mul (f32.load (local.get $g)) (f32x4.extract_lane 0 (call $gelu_grad4 (f32x4.splat (f32.load (local.get $x))) (local.get $approx)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (br $s))))

  ;; Per row of `width` (rows packed densely): xhat = (x − μ)/√(σ² + eps), out = xhat·w + b;
  ;; saves xhat and rstd = 1/√(σ² + eps). out may be x.
  (func (export "layer_norm")
    (param $x i32) (param $w i32) (param $b i32) (param $out i32) (param $xhat i32) (param $rstd i32)
    (param $rows i32) (param $width i32) (param $eps f32)
    (local $r i32) (local $i i32) (local $w4 i32) (local $rowBytes i32) (local $px i32) (local $po i32) (local $ph i32)
    (local $acc v128) (local $t v128) (local $mu4 v128) (local $s4 v128) (local $mu f32) (local $var f32) (local $s f32) (local $h f32)
    (local.set $w4 (i32.and (local.get $width) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $rdone
      (loop $row
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $px (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $po (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $ph (i32.add (local.get $xhat) (i32.mul (local.get $r) (local.get $rowBytes))))
        ;; mean
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $i) (local.get $w4)))
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l1)))
        (local.set $mu (call $hsum (local.get $acc)))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
          (local.set $mu (f32.add (local.get $mu) (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l2)))
        (local.set $mu (f32.div (local.get $mu) (f32.convert_i32_u (local.get $width))))
        (local.set $mu4 (f32x4.splat (local.get $mu)))
        ;; variance
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $i) (local.get $w4)))
          (local.set $t (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu4)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l3)))
        (local.set $var (call $hsum (local.get $acc)))
        (block $d4 (loop $l4
          (br_if $d4 (i32.ge_u (local.get $i) (local.get $width)))
          (local.set $h (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu)))
          (local.set $var (f32.add (local.get $var) (f32.mul (local.get $h) (local.get $h))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l4)))
        (local.set $s (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (local.get $var) (f32.convert_i32_u (local.get $width))) (local.get $eps)))))
        (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2))) (local.get $s))
        (local.set $s4 (f32x4.splat (local.get $s)))
        ;; normalise, scale, shift
        (local.set $i (i32.const 0))
        (block $d5 (loop $l5
          (br_if $d5 (i32.ge_u (local.get $i) (local.get $w4)))
          (local.set $t (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu4)) (local.get $s4)))
          (v128.store (i32.add (local.get $ph) (i32.shl (local.get $i) (i32.const 2))) (local.get $t))
          (v128.store (i32.add (local.get $po) (i32.shl (local.get $i) (i32.const 2)))
            (f32x4.add (f32x4.mul (local.get $t) (v128.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2)))))
                       (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l5)))
        (block $d6 (loop $l6
          (br_if $d6 (i32.ge_u (local.get $i) (local.get $width)))
          (local.set $h (f32.mul (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu)) (local.get $s)))
          (f32.store (i32.add (local.get $ph) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
          (f32.store (i32.add (local.get $po) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.mul (local.get $h) (f32.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2)))))
                     (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l6)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Gradients of layer_norm: dx written; dw and db accumulated.
  (func (export "layer_norm_backward")
    (param $g i32) (param $w i32) (param $xhat i32) (param $rstd i32) (param $dx i32) (param $dw i32) (param $db i32)
    (param $rows i32) (param $width i32)
    (local $r i32) (local $i i32) (local $w4 i32) (local $rowBytes i32) (local $pg i32) (local $ph i32) (local $pd i32) (local $o i32)
    (local $aD v128) (local $aDX v128) (local $gv v128) (local $hv v128) (local $dv v128) (local $mD4 v128) (local $mDX4 v128) (local $s4 v128)
    (local $mD f32) (local $mDX f32) (local $gs f32) (local $hs f32) (local $ds f32) (local $s f32)
    (local.set $w4 (i32.and (local.get $width) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $rdone
      (loop $row
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pg (i32.add (local.get $g) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $ph (i32.add (local.get $xhat) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $pd (i32.add (local.get $dx) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $aD (v128.const f32x4 0 0 0 0))
        (local.set $aDX (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $i) (local.get $w4)))
          (local.set $o (i32.shl (local.get $i) (i32.const 2)))
          (local.set $gv (v128.load (i32.add (local.get $pg) (local.get $o))))
          (local.set $hv (v128.load (i32.add (local.get $ph) (local.get $o))))
          (v128.store (i32.add (local.get $dw) (local.get $o))
            (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $o))) (f32x4.mul (local.get $gv) (local.get $hv))))
          (v128.store (i32.add (local.get $db) (local.get $o))
            (f32x4.add (v128.load (i32.add (local.get $db) (local.get $o))) (local.get $gv)))
          (local.set $dv (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $w) (local.get $o)))))
          (local.set $aD (f32x4.add (local.get $aD) (local.get $dv)))
          (local.set $aDX (f32x4.add (local.get $aDX) (f32x4.mul (local.get $dv) (local.get $hv))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l1)))
        (local.set $mD (call $hsum (local.get $aD)))
        (local.set $mDX (call $hsum (local.get $aDX)))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
          (local.set $o (i32.shl (local.get $i) (i32.const 2)))
          (local.set $gs (f32.load (i32.add (local.get $pg) (local.get $o))))
          (local.set $hs (f32.load (i32.add (local.get $ph) (local.get $o))))
          (f32.store (i32.add (local.get $dw) (local.get $o)) (f32.add (f32.load (i32.add (local.get $dw) (local.get $o))) (f32.mul (local.get $gs) (local.get $hs))))
          (f32.store (i32.add (local.get $db) (local.get $o)) (f32.add (f32.load (i32.add (local.get $db) (local.get $o))) (local.get $gs)))
          (local.set $ds (f32.mul (local.get $gs) (f32.load (i32.add (local.get $w) (local.get $o)))))
          (local.set $mD (f32.add (local.get $mD) (local.get $ds)))
          (local.set $mDX (f32.add (local.get $mDX) (f32.mul (local.get $ds) (local.get $hs))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l2)))
        (local.set $mD (f32.div (local.get $mD) (f32.convert_i32_u (local.get $width))))
        (local.set $mDX (f32.div (local.get $mDX) (f32.convert_i32_u (local.get $width))))
        (local.set $s (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $mD4 (f32x4.splat (local.get $mD)))
        (local.set $mDX4 (f32x4.splat (local.get $mDX)))
        (local.set $s4 (f32x4.splat (local.get $s)))
        (local.set $i (i32.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $i) (local.get $w4)))
          (local.set $o (i32.shl (local.get $i) (i32.const 2)))
          (v128.store (i32.add (local.get $pd) (local.get $o))
            (f32x4.mul (local.get $s4)
              (f32x4.sub (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $pg) (local.get $o))) (v128.load (i32.add (local.get $w) (local.get $o))))
                                    (local.get $mD4))
                         (f32x4.mul (v128.load (i32.add (local.get $ph) (local.get $o))) (local.get $mDX4)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l3)))
        (block $d4 (loop $l4
          (br_if $d4 (i32.ge_u (local.get $i) (local.get $width)))
          (local.set $o (i32.shl (local.get $i) (i32.const 2)))
          (f32.store (i32.add (local.get $pd) (local.get $o))
            (f32.mul (local.get $s)
              (f32.sub (f32.sub (f32.mul (f32.load (i32.add (local.get $pg) (local.get $o))) (f32.load (i32.add (local.get $w) (local.get $o))))
                                (local.get $mD))
                       (f32.mul (f32.load (i32.add (local.get $ph) (local.get $o))) (local.get $mDX)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; In place over n floats at p: p[i] = e^(p[i] − m); returns Σ p[i] (lanes, then the tail).
  (func $exp_shift_sum (param $p i32) (param $n i32) (param $m f32) (result f32)
    (local $end i32) (local $vend i32) (local $m4 v128) (local $acc v128) (local $e v128) (local $sum f32) (local $es f32)
    (local.set $m4 (f32x4.splat (local.get $m)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $p) (local.get $vend)))
      (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $m4))))
      (v128.store (local.get $p) (local.get $e))
      (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $v)))
    (local.set $sum (call $hsum (local.get $acc)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $es (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub (f32.load (local.get $p)) (local.get $m))))))
      (f32.store (local.get $p) (local.get $es))
      (local.set $sum (f32.add (local.get $sum) (local.get $es)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $s)))
    (local.get $sum))

  ;; max over n floats at p (−∞ for n = 0; NaN if any is NaN).
  (func $row_max (param $p i32) (param $n i32) (result f32)
    (local $end i32) (local $vend i32) (local $acc v128) (local $m f32)
    (local.set $acc (global.get $f32x4:-inf))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $p) (local.get $vend)))
      (local.set $acc (f32x4.max (local.get $acc) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $v)))
    (local.set $m (call $hmax (local.get $acc)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $m (f32.max (local.get $m) (f32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $s)))
    (local.get $m))

  ;; p[i] = p[i] / z over n floats.
  (func $row_div (param $p i32) (param $n i32) (param $z f32)
    (local $end i32) (local $vend i32) (local $z4 v128)
    (local.set $z4 (f32x4.splat (local.get $z)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $p) (local.get $vend)))
      (v128.store (local.get $p) (f32x4.div (v128.load (local.get $p)) (local.get $z4)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $v)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $p) (local.get $end)))
      (f32.store (local.get $p) (f32.div (f32.load (local.get $p)) (local.get $z)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $s))))

  ;; p[i] = p[i]·s over n floats, n a multiple of 4.
  (func $row_scale (param $p i32) (param $n i32) (param $s f32)
    (local $end i32) (local $s4 v128)
    (local.set $s4 (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $s4)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l))))

  ;; Softmax of each row of `width`, in place (copy x to the output first).
  (func (export "softmax") (param $p i32) (param $rows i32) (param $width i32)
    (local $r i32) (local $z f32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $z (call $exp_shift_sum (local.get $p) (local.get $width) (call $row_max (local.get $p) (local.get $width))))
      (call $row_div (local.get $p) (local.get $width) (local.get $z))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $width) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; dot of n floats at a and b.
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $end i32) (local $vend i32) (local $acc v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $a) (local.get $vend)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $v)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $s)))
    (local.get $s))

  ;; dst[i] += s·src[i] over n floats.
  (func $axpy (param $dst i32) (param $src i32) (param $n i32) (param $s f32)
    (local $end i32) (local $vend i32) (local $s4 v128)
    (local.set $s4 (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (local.get $s4) (v128.load (local.get $src)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $v)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $s) (f32.load (local.get $src)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $s))))

  ;; dx = y·(g − Σ g·y) per row of `width`.
  (func (export "softmax_backward") (param $g i32) (param $y i32) (param $dx i32) (param $rows i32) (param $width i32)
    (local $r i32) (local $i i32) (local $w4 i32) (local $o i32) (local $dot4 v128) (local $dot f32)
    (local.set $w4 (i32.and (local.get $width) (i32.const -4)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $dot (call $dot (local.get $g) (local.get $y) (local.get $width)))
      (local.set $dot4 (f32x4.splat (local.get $dot)))
      (local.set $i (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $w4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $dx) (local.get $o))
          (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $o))) (f32x4.sub (v128.load (i32.add (local.get $g) (local.get $o))) (local.get $dot4))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l1)))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $dx) (local.get $o))
          (f32.mul (f32.load (i32.add (local.get $y) (local.get $o))) (f32.sub (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $dot))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.set $o (i32.shl (local.get $width) (i32.const 2)))
      (local.set $g (i32.add (local.get $g) (local.get $o)))
      (local.set $y (i32.add (local.get $y) (local.get $o)))
      (local.set $dx (i32.add (local.get $dx) (local.get $o)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; ---------- the fused pieces of a forward pass (the inference session) ----------

  ;; out[j] = scale · q·k_j for j < n, keys ld bytes apart; returns their max (−∞ for n = 0, NaN if
  ;; any is NaN). Four keys at a time (four accumulators over d_head, reduced together by a 4×4
  ;; transpose) when d_head is a multiple of 4; the rest one by one.
  (func $scores (param $q i32) (param $k i32) (param $ld i32) (param $n i32) (param $dh i32) (param $scale f32) (param $out i32) (result f32)
    (local $j i32) (local $e i32) (local $end i32) (local $k0 i32) (local $k1 i32) (local $k2 i32) (local $k3 i32) (local $qv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $t0 v128) (local $t1 v128)
    (local $s v128) (local $mx v128) (local $m f32) (local $x f32)
    (local.set $mx (global.get $f32x4:-inf))
    (local.set $end (i32.shl (local.get $dh) (i32.const 2)))
    (if (i32.and (i32.eqz (i32.and (local.get $dh) (i32.const 3))) (i32.ne (local.get $dh) (i32.const 0)))
      (then
        (block $done (loop $jl
          (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          (local.set $k0 (i32.add (local.get $k) (i32.mul (local.get $j) (local.get $ld))))
          (local.set $k1 (i32.add (local.get $k0) (local.get $ld)))
          (local.set $k2 (i32.add (local.get $k1) (local.get $ld)))
          (local.set $k3 (i32.add (local.get $k2) (local.get $ld)))
          (local.set $a0 (v128.const f32x4 0 0 0 0))
          (local.set $a1 (v128.const f32x4 0 0 0 0))
          (local.set $a2 (v128.const f32x4 0 0 0 0))
          (local.set $a3 (v128.const f32x4 0 0 0 0))
          (local.set $e (i32.const 0))
          (loop $el
            (local.set $qv (v128.load (i32.add (local.get $q) (local.get $e))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k0) (local.get $e))))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k1) (local.get $e))))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k2) (local.get $e))))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k3) (local.get $e))))))
            (local.set $e (i32.add (local.get $e) (i32.const 16)))
            (br_if $el (i32.lt_u (local.get $e) (local.get $end))))
          ;; [a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃] and the same for a2, a3; then fold the halves
          (local.set $t0 (f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
                                    (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
          (local.set $t1 (f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
                                    (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
          (local.set $s (f32x4.mul (f32x4.splat (local.get $scale))
            (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
                       (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))))
          (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
          (local.set $mx (f32x4.max (local.get $mx) (local.get $s)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $jl)))))
    (local.set $m (call $hmax (local.get $mx)))
    (block $rdone (loop $rl
      (br_if $rdone (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $x (f32.mul (call $dot (local.get $q) (i32.add (local.get $k) (i32.mul (local.get $j) (local.get $ld))) (local.get $dh)) (local.get $scale)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $x))
      (local.set $m (f32.max (local.get $m) (local.get $x)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $rl)))
    (local.get $m))

  ;; z[0:dh] = Σ_j p_j·v_j for j < n, values ld bytes apart: 16 columns at a time held in four
  ;; accumulators across all the keys, then any remaining columns key by key.
  (func $weighted_sum (param $p i32) (param $v i32) (param $ld i32) (param $n i32) (param $dh i32) (param $z i32)
    (local $e i32) (local $e16 i32) (local $j i32) (local $pv i32) (local $x v128)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128)
    (local.set $e16 (i32.and (local.get $dh) (i32.const -16)))
    (block $cdone (loop $cl
      (br_if $cdone (i32.ge_u (local.get $e) (local.get $e16)))
      (local.set $z0 (v128.const f32x4 0 0 0 0))
      (local.set $z1 (v128.const f32x4 0 0 0 0))
      (local.set $z2 (v128.const f32x4 0 0 0 0))
      (local.set $z3 (v128.const f32x4 0 0 0 0))
      (local.set $pv (i32.add (local.get $v) (i32.shl (local.get $e) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jl
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $x (v128.load32_splat (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $z0 (f32x4.add (local.get $z0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pv)))))
        (local.set $z1 (f32x4.add (local.get $z1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pv)))))
        (local.set $z2 (f32x4.add (local.get $z2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pv)))))
        (local.set $z3 (f32x4.add (local.get $z3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pv)))))
        (local.set $pv (i32.add (local.get $pv) (local.get $ld)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $pv (i32.add (local.get $z) (i32.shl (local.get $e) (i32.const 2))))
      (v128.store offset=0 (local.get $pv) (local.get $z0))
      (v128.store offset=16 (local.get $pv) (local.get $z1))
      (v128.store offset=32 (local.get $pv) (local.get $z2))
      (v128.store offset=48 (local.get $pv) (local.get $z3))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (br $cl)))
    (if (i32.lt_u (local.get $e) (local.get $dh))
      (then
        (memory.fill (i32.add (local.get $z) (i32.shl (local.get $e) (i32.const 2))) (i32.const 0) (i32.shl (i32.sub (local.get $dh) (local.get $e)) (i32.const 2)))
        (local.set $j (i32.const 0))
        (block $tdone (loop $tl
          (br_if $tdone (i32.ge_u (local.get $j) (local.get $n)))
          (call $axpy (i32.add (local.get $z) (i32.shl (local.get $e) (i32.const 2)))
            (i32.add (i32.add (local.get $v) (i32.mul (local.get $j) (local.get $ld))) (i32.shl (local.get $e) (i32.const 2)))
            (i32.sub (local.get $dh) (local.get $e))
            (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $tl))))))

  ;; ---- attention as products (a prefill: many query rows) ----

  ;; n rows of dh floats (ld bytes apart; dh a multiple of 4) packed for the 2×16 tile's B: panels
  ;; of 16 rows, each [dh][16] (row j in lane j mod 16), rows n … past zero — a chunk of one head's
  ;; queries, for Sᵀ = K·Qᵀ. Four rows at a time through a 4×4 transpose, the last n mod 4 one
  ;; float at a time.
  (func $pack_lanes (param $src i32) (param $ld i32) (param $n i32) (param $dh i32) (param $dst i32)
    (local $j i32) (local $e i32) (local $n4 i32) (local $ps i32) (local $pd i32) (local $pw i32) (local $row i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $ab0 v128) (local $ab1 v128) (local $cd0 v128) (local $cd1 v128)
    (local.set $pw (i32.shl (local.get $dh) (i32.const 6))) ;; bytes per panel
    (if (i32.and (local.get $n) (i32.const 15))
      (then (memory.fill (i32.add (local.get $dst) (i32.mul (i32.shr_u (local.get $n) (i32.const 4)) (local.get $pw))) (i32.const 0) (local.get $pw))))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $jdone (loop $jl
      (br_if $jdone (i32.ge_u (local.get $j) (local.get $n4)))
      (local.set $ps (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $ld))))
      (local.set $pd (i32.add (i32.add (local.get $dst) (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $pw)))
                              (i32.shl (i32.and (local.get $j) (i32.const 15)) (i32.const 2))))
      (local.set $e (i32.const 0))
      (loop $el
        (local.set $a (v128.load (local.get $ps)))
        (local.set $b (v128.load (i32.add (local.get $ps) (local.get $ld))))
        (local.set $c (v128.load (i32.add (local.get $ps) (i32.shl (local.get $ld) (i32.const 1)))))
        (local.set $d (v128.load (i32.add (local.get $ps) (i32.mul (local.get $ld) (i32.const 3)))))
        (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
        (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $cd0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
        (local.set $cd1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
        (v128.store offset=0 (local.get $pd) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $cd0)))
        (v128.store offset=64 (local.get $pd) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $cd0)))
        (v128.store offset=128 (local.get $pd) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $cd1)))
        (v128.store offset=192 (local.get $pd) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $cd1)))
        (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
        (local.set $pd (i32.add (local.get $pd) (i32.const 256)))
        (local.set $e (i32.add (local.get $e) (i32.const 4)))
        (br_if $el (i32.lt_u (local.get $e) (local.get $dh))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $jl)))
    (block $tdone (loop $tl
      (br_if $tdone (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $ps (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $ld))))
      (local.set $pd (i32.add (i32.add (local.get $dst) (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $pw)))
                              (i32.shl (i32.and (local.get $j) (i32.const 15)) (i32.const 2))))
      (local.set $e (i32.const 0))
      (loop $el
        (f32.store (local.get $pd) (f32.load (local.get $ps)))
        (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
        (local.set $pd (i32.add (local.get $pd) (i32.const 64)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br_if $el (i32.lt_u (local.get $e) (local.get $dh))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $tl))))

  ;; z = P·V for n ≥ 1 queries, two at a time: C[2, 16] = r ⊙ (A[2, kc] · B[kc, 16]) with A stored
  ;; transposed — A(r, p) at pa + p·ks + 4r, a pair's two rows side by side (two queries' weights
  ;; in a row of Sᵀ) — B's rows ldb bytes apart (V), and row r of the result scaled by the float at
  ;; pr + 4r (a query's 1/Σ). The first pair sums kc keys (what its second query sees), each next
  ;; pair two more; an odd n ends with one query alone over one key fewer than a pair there would
  ;; (only its row is written). One call for a column block of a chunk: no call per pair.
  (func $tile2x16t (param $pa i32) (param $ks i32) (param $pb i32) (param $ldb i32) (param $pc i32) (param $ldc i32) (param $kc i32) (param $n i32) (param $pr i32)
    (local $p i32) (local $q i32) (local $k i32) (local $x0 v128) (local $x1 v128) (local $b v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (loop $pair
      (if (i32.eq (local.get $n) (i32.const 1)) (then (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))))
      (local.set $c00 (v128.const f32x4 0 0 0 0))
      (local.set $c01 (v128.const f32x4 0 0 0 0))
      (local.set $c02 (v128.const f32x4 0 0 0 0))
      (local.set $c03 (v128.const f32x4 0 0 0 0))
      (local.set $c10 (v128.const f32x4 0 0 0 0))
      (local.set $c11 (v128.const f32x4 0 0 0 0))
      (local.set $c12 (v128.const f32x4 0 0 0 0))
      (local.set $c13 (v128.const f32x4 0 0 0 0))
      (local.set $p (local.get $pa))
      (local.set $q (local.get $pb))
      (local.set $k (local.get $kc))
      (loop $kl
        (local.set $x0 (v128.load32_splat offset=0 (local.get $p)))
        (local.set $x1 (v128.load32_splat offset=4 (local.get $p)))
        (local.set $b (v128.load offset=0 (local.get $q)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=16 (local.get $q)))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=32 (local.get $q)))
        (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $b (v128.load offset=48 (local.get $q)))
        (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $x0) (local.get $b))))
        (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $x1) (local.get $b))))
        (local.set $p (i32.add (local.get $p) (local.get $ks)))
        (local.set $q (i32.add (local.get $q) (local.get $ldb)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $kl (local.get $k)))
      (local.set $x0 (v128.load32_splat offset=0 (local.get $pr)))
      (v128.store offset=0 (local.get $pc) (f32x4.mul (local.get $c00) (local.get $x0)))
      (v128.store offset=16 (local.get $pc) (f32x4.mul (local.get $c01) (local.get $x0)))
      (v128.store offset=32 (local.get $pc) (f32x4.mul (local.get $c02) (local.get $x0)))
      (v128.store offset=48 (local.get $pc) (f32x4.mul (local.get $c03) (local.get $x0)))
      (if (i32.ge_u (local.get $n) (i32.const 2))
        (then
          (local.set $x1 (v128.load32_splat offset=4 (local.get $pr)))
          (v128.store offset=0 (i32.add (local.get $pc) (local.get $ldc)) (f32x4.mul (local.get $c10) (local.get $x1)))
          (v128.store offset=16 (i32.add (local.get $pc) (local.get $ldc)) (f32x4.mul (local.get $c11) (local.get $x1)))
          (v128.store offset=32 (i32.add (local.get $pc) (local.get $ldc)) (f32x4.mul (local.get $c12) (local.get $x1)))
          (v128.store offset=48 (i32.add (local.get $pc) (local.get $ldc)) (f32x4.mul (local.get $c13) (local.get $x1)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
      (local.set $pr (i32.add (local.get $pr) (i32.const 8)))
      (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1))))
      (local.set $kc (i32.add (local.get $kc) (i32.const 2)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br_if $pair (i32.gt_s (local.get $n) (i32.const 0)))))

  ;; Softmax down the columns of transposed scores, unnormalised, four queries (a column block) at
  ;; a time: cq queries in the lanes, the first at position p0, keys down the rows (ld bytes apart),
  ;; n keys in all, unscaled; the block at p0 + b sees keys 0 … min(p0 + b + 4, n) − 1. Each lane ←
  ;; e^(scale·(x − max)) over the keys it sees, and its 1/Σ goes to pr + 4·(its query) (the product
  ;; with V scales by it). The three keys past a block's first query are masked to −∞ in the lanes
  ;; that do not see them (their weights come out 0); maxima, then exps and sums, run down the rows
  ;; with no lane crossing: one division for four queries. One call for a chunk: no call per block.
  (func $softmax_down (param $p i32) (param $ld i32) (param $p0 i32) (param $n i32) (param $cq i32) (param $scale f32) (param $pr i32)
    (local $q i32) (local $end i32) (local $nb i32) (local $mx v128) (local $s4 v128) (local $acc v128) (local $e v128)
    (local.set $s4 (f32x4.splat (local.get $scale)))
    (loop $block
      (local.set $nb (select (i32.add (local.get $p0) (i32.const 4)) (local.get $n) (i32.lt_u (i32.add (local.get $p0) (i32.const 4)) (local.get $n))))
      (local.set $end (i32.add (local.get $p) (i32.mul (local.get $nb) (local.get $ld))))
      (local.set $q (i32.add (local.get $p) (i32.mul (i32.add (local.get $p0) (i32.const 1)) (local.get $ld))))
      (if (i32.lt_u (local.get $q) (local.get $end))
        (then (v128.store (local.get $q) (v128.bitselect (global.get $f32x4:-inf) (v128.load (local.get $q)) (global.get $i32x4:-1_0_0_0)))))
      (local.set $q (i32.add (local.get $q) (local.get $ld)))
      (if (i32.lt_u (local.get $q) (local.get $end))
        (then (v128.store (local.get $q) (v128.bitselect (global.get $f32x4:-inf) (v128.load (local.get $q)) (global.get $i32x4:-1_-1_0_0)))))
      (local.set $q (i32.add (local.get $q) (local.get $ld)))
      (if (i32.lt_u (local.get $q) (local.get $end))
        (then (v128.store (local.get $q) (v128.bitselect (global.get $f32x4:-inf) (v128.load (local.get $q)) (global.get $i32x4:-1_-1_-1_0)))))
      ;; pmax is one instruction (max's NaN rules cost several); a NaN score still poisons its sum below
      (local.set $mx (global.get $f32x4:-inf))
      (local.set $q (local.get $p))
      (loop $ml
        (local.set $mx (f32x4.pmax (local.get $mx) (v128.load (local.get $q))))
        (local.set $q (i32.add (local.get $q) (local.get $ld)))
        (br_if $ml (i32.lt_u (local.get $q) (local.get $end))))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $q (local.get $p))
      (loop $xl
        (local.set $e (call $exp4 (f32x4.mul (f32x4.sub (v128.load (local.get $q)) (local.get $mx)) (local.get $s4))))
        (v128.store (local.get $q) (local.get $e))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
        (local.set $q (i32.add (local.get $q) (local.get $ld)))
        (br_if $xl (i32.lt_u (local.get $q) (local.get $end))))
      (v128.store (local.get $pr) (f32x4.div (global.get $f32x4:1) (local.get $acc)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $pr (i32.add (local.get $pr) (i32.const 16)))
      (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
      (local.set $cq (i32.sub (local.get $cq) (i32.const 4)))
      (br_if $block (i32.gt_s (local.get $cq) (i32.const 0)))))

  ;; n rows of w bytes (a multiple of 64), ld bytes apart at src, copied together to dst.
  (func $copy_rows (param $src i32) (param $ld i32) (param $n i32) (param $w i32) (param $dst i32)
    (local $o i32)
    (block $done (loop $rl
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $o (i32.const 0))
      (loop $cl
        (v128.store offset=0 (i32.add (local.get $dst) (local.get $o)) (v128.load offset=0 (i32.add (local.get $src) (local.get $o))))
        (v128.store offset=16 (i32.add (local.get $dst) (local.get $o)) (v128.load offset=16 (i32.add (local.get $src) (local.get $o))))
        (v128.store offset=32 (i32.add (local.get $dst) (local.get $o)) (v128.load offset=32 (i32.add (local.get $src) (local.get $o))))
        (v128.store offset=48 (i32.add (local.get $dst) (local.get $o)) (v128.load offset=48 (i32.add (local.get $src) (local.get $o))))
        (local.set $o (i32.add (local.get $o) (i32.const 64)))
        (br_if $cl (i32.lt_u (local.get $o) (local.get $w))))
      (local.set $src (i32.add (local.get $src) (local.get $ld)))
      (local.set $dst (i32.add (local.get $dst) (local.get $w)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $rl))))

  ;; Causal attention as products with the scores transposed, for tq ≥ 2 query rows and dh a
  ;; multiple of 16 (the arguments of `attention`). Per query head, its query rows in chunks of up
  ;; to 32: the chunk's queries packed into the tile's panels (queries in the lanes), then
  ;; Sᵀ = K·Qᵀ — key rows as the tile's A, over the keys each panel of 16 queries can see — a
  ;; softmax down each block of four queries' columns (maxima and sums vertical, one division per
  ;; four queries: the row-wise form spent most of its time in short loops and lane crossings),
  ;; and z = P·V pair of queries by pair ($tile2x16t: P read from Sᵀ). Keys and values are read in
  ;; place for up to 64 positions and copied together first past that (GPT-2's rows are 9 KiB
  ;; apart: at 512 positions, read in place, the kernel ran 1.10–1.15× slower; at 32, copying cost
  ;; 4–5%). Scratch: 2·n·dh + 32·(dh + n + 1) floats, n = pos0 + tq (attentionScratchFloats in
  ;; wasm-module.ts).
  (func $attention_transposed
    (param $qkv i32) (param $ld i32) (param $z i32) (param $ldz i32) (param $tq i32) (param $pos0 i32)
    (param $H i32) (param $Hkv i32) (param $dh i32) (param $scale f32) (param $scratch i32) (param $h0 i32) (param $h1 i32)
    (local $n i32) (local $D i32) (local $qp i32) (local $st i32) (local $pw i32) (local $h i32) (local $g i32) (local $kb i32) (local $vb i32)
    (local $c0 i32) (local $cq i32) (local $pp i32) (local $nk i32) (local $col i32)
    (local $dr i32) (local $prev i32) (local $rs i32)
    (local.set $n (i32.add (local.get $pos0) (local.get $tq)))
    (local.set $D (i32.mul (local.get $H) (local.get $dh)))
    (local.set $pw (i32.shl (local.get $dh) (i32.const 6))) ;; bytes per panel of 16 queries
    (local.set $qp (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $n) (local.get $dh)) (i32.const 3)))) ;; past 2·n·dh floats
    (local.set $rs (i32.add (local.get $qp) (i32.shl (local.get $pw) (i32.const 1)))) ;; 32 queries' 1/Σ
    (local.set $st (i32.add (local.get $rs) (i32.const 128))) ;; Sᵀ: rows of 32 floats (128 bytes)
    (local.set $prev (i32.const -1))
    (local.set $h (local.get $h0))
    (block $hdone (loop $hl
      (br_if $hdone (i32.ge_u (local.get $h) (local.get $h1)))
      (local.set $g (i32.div_u (i32.mul (local.get $h) (local.get $Hkv)) (local.get $H)))
      (if (i32.ne (local.get $g) (local.get $prev))
        (then
          (local.set $kb (i32.add (local.get $qkv) (i32.shl (i32.add (local.get $D) (i32.mul (local.get $g) (local.get $dh))) (i32.const 2))))
          (local.set $vb (i32.add (local.get $kb) (i32.shl (i32.mul (local.get $Hkv) (local.get $dh)) (i32.const 2))))
          (local.set $dr (local.get $ld))
          (if (i32.gt_u (local.get $n) (i32.const 64))
            (then
              (local.set $dr (i32.shl (local.get $dh) (i32.const 2)))
              (call $copy_rows (local.get $kb) (local.get $ld) (local.get $n) (local.get $dr) (local.get $scratch))
              (call $copy_rows (local.get $vb) (local.get $ld) (local.get $n) (local.get $dr) (i32.add (local.get $scratch) (i32.mul (local.get $n) (local.get $dr))))
              (local.set $kb (local.get $scratch))
              (local.set $vb (i32.add (local.get $scratch) (i32.mul (local.get $n) (local.get $dr))))))
          (local.set $prev (local.get $g))))
      (local.set $c0 (i32.const 0))
      (block $cdone (loop $cl
        (br_if $cdone (i32.ge_u (local.get $c0) (local.get $tq)))
        (local.set $cq (i32.sub (local.get $tq) (local.get $c0)))
        (if (i32.gt_u (local.get $cq) (i32.const 32)) (then (local.set $cq (i32.const 32))))
        (call $pack_lanes
          (i32.add (i32.add (local.get $qkv) (i32.mul (i32.add (local.get $pos0) (local.get $c0)) (local.get $ld))) (i32.shl (i32.mul (local.get $h) (local.get $dh)) (i32.const 2)))
          (local.get $ld) (local.get $cq) (local.get $dh) (local.get $qp))
        ;; Sᵀ by panels of 16 queries: the keys up to the panel's last query (or the last key)
        (local.set $pp (i32.const 0))
        (loop $pl
          (local.set $nk (i32.add (i32.add (local.get $pos0) (local.get $c0)) (i32.shl (i32.add (local.get $pp) (i32.const 1)) (i32.const 4))))
          (if (i32.gt_u (local.get $nk) (local.get $n)) (then (local.set $nk (local.get $n))))
          (if (i32.ge_u (local.get $nk) (i32.const 2))
            (then
              (call $tile2x16 (local.get $kb) (local.get $dr) (i32.add (local.get $qp) (i32.mul (local.get $pp) (local.get $pw)))
                (i32.add (local.get $st) (i32.shl (local.get $pp) (i32.const 6))) (i32.const 128) (local.get $dh) (i32.const 0)
                (i32.shr_u (local.get $nk) (i32.const 1)) (i32.const 0))))
          (if (i32.and (local.get $nk) (i32.const 1)) ;; an odd last key: one row, the same sums
            (then
              (call $tile1x16 (i32.add (local.get $kb) (i32.mul (i32.sub (local.get $nk) (i32.const 1)) (local.get $dr)))
                (i32.add (local.get $qp) (i32.mul (local.get $pp) (local.get $pw)))
                (i32.add (i32.add (local.get $st) (i32.shl (local.get $pp) (i32.const 6))) (i32.shl (i32.sub (local.get $nk) (i32.const 1)) (i32.const 7)))
                (local.get $dh) (i32.const 0) (i32.const 0))))
          (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
          (br_if $pl (i32.lt_u (i32.shl (local.get $pp) (i32.const 4)) (local.get $cq))))
        ;; the softmaxes, four queries at a time
        (call $softmax_down (local.get $st) (i32.const 128) (i32.add (local.get $pos0) (local.get $c0)) (local.get $n) (local.get $cq)
          (local.get $scale) (local.get $rs))
        ;; z = P·V, 16 columns at a time, each call the chunk's queries by pairs over the keys each pair sees
        (local.set $col (i32.const 0))
        (loop $zl
          (call $tile2x16t (local.get $st) (i32.const 128)
            (i32.add (local.get $vb) (i32.shl (local.get $col) (i32.const 2))) (local.get $dr)
            (i32.add (i32.add (local.get $z) (i32.mul (local.get $c0) (local.get $ldz)))
                     (i32.shl (i32.add (i32.mul (local.get $h) (local.get $dh)) (local.get $col)) (i32.const 2)))
            (local.get $ldz) (i32.add (i32.add (local.get $pos0) (local.get $c0)) (i32.const 2)) (local.get $cq) (local.get $rs))
          (local.set $col (i32.add (local.get $col) (i32.const 16)))
          (br_if $zl (i32.lt_u (local.get $col) (local.get $dh))))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 32)))
        (br $cl)))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $hl))))

  ;; Causal multi-head attention for tq query rows at absolute positions pos0 … pos0+tq−1.
  ;; qkv rows are ld bytes apart and hold [Q heads (H·dh) | K heads | V heads (Hkv·dh each)];
  ;; query head h reads key/value head floor(h·Hkv/H) (grouped-query attention when Hkv < H). Keys
  ;; and values of positions 0 … pos0+tq−1 are already in place (a KV cache is just earlier rows).
  ;; z [tq, H·dh] rows are ldz bytes apart. scores: scratch for pos0+tq+3 floats, or, where tq ≥ 2
  ;; and dh is a multiple of 16, for $attention_transposed (its comment says how much). Only query
  ;; heads h0 ≤ h < h1 (threads split the heads).
  (func (export "attention")
    (param $qkv i32) (param $ld i32) (param $z i32) (param $ldz i32) (param $tq i32) (param $pos0 i32)
    (param $H i32) (param $Hkv i32) (param $dh i32) (param $scale f32) (param $scores i32) (param $h0 i32) (param $h1 i32)
    (local $h i32) (local $i i32) (local $n i32) (local $D i32) (local $qi i32) (local $kh i32) (local $vh i32) (local $zi i32)
    (local $n4 i32) (local $j i32) (local $sum f32) (local $m f32)
    (if (i32.and (i32.ge_u (local.get $tq) (i32.const 2)) (i32.and (i32.eqz (i32.and (local.get $dh) (i32.const 15))) (i32.ne (local.get $dh) (i32.const 0))))
      (then
        (call $attention_transposed (local.get $qkv) (local.get $ld) (local.get $z) (local.get $ldz) (local.get $tq) (local.get $pos0)
          (local.get $H) (local.get $Hkv) (local.get $dh) (local.get $scale) (local.get $scores) (local.get $h0) (local.get $h1))
        (return)))
    (local.set $h (local.get $h0))
    (local.set $D (i32.mul (local.get $H) (local.get $dh)))
    (block $hdone (loop $hl
      (br_if $hdone (i32.ge_u (local.get $h) (local.get $h1)))
      (local.set $kh (i32.add (local.get $qkv) (i32.shl (i32.add (local.get $D)
        (i32.mul (i32.div_u (i32.mul (local.get $h) (local.get $Hkv)) (local.get $H)) (local.get $dh))) (i32.const 2))))
      (local.set $vh (i32.add (local.get $kh) (i32.shl (i32.mul (local.get $Hkv) (local.get $dh)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $idone (loop $il
        (br_if $idone (i32.ge_u (local.get $i) (local.get $tq)))
        (local.set $n (i32.add (i32.add (local.get $pos0) (local.get $i)) (i32.const 1)))
        (local.set $qi (i32.add (i32.add (local.get $qkv) (i32.mul (i32.sub (local.get $n) (i32.const 1)) (local.get $ld)))
                                (i32.shl (i32.mul (local.get $h) (local.get $dh)) (i32.const 2))))
        (local.set $m (call $scores (local.get $qi) (local.get $kh) (local.get $ld) (local.get $n) (local.get $dh) (local.get $scale) (local.get $scores)))
        ;; the scores padded with −∞ to whole vectors (e^(−∞ − max) is exactly 0), so no eˣ is taken
        ;; a lane at a time; then one reciprocal of the sum for the row
        (local.set $n4 (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)))
        (local.set $j (local.get $n))
        (block $pdone (loop $pad
          (br_if $pdone (i32.ge_u (local.get $j) (local.get $n4)))
          (f32.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2))) (f32.const -inf))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $pad)))
        (local.set $sum (call $exp_shift_sum (local.get $scores) (local.get $n4) (local.get $m)))
        (call $row_scale (local.get $scores) (local.get $n4) (f32.div (f32.const 1) (local.get $sum)))
        ;; z_i = Σ_j p_j v_j
        (local.set $zi (i32.add (i32.add (local.get $z) (i32.mul (local.get $i) (local.get $ldz))) (i32.shl (i32.mul (local.get $h) (local.get $dh)) (i32.const 2))))
        (call $weighted_sum (local.get $scores) (local.get $vh) (local.get $ld) (local.get $n) (local.get $dh) (local.get $zi))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $hl))))

  ;; Rotary position embedding in place on the first rd of each of `blocks` consecutive dh-wide
  ;; blocks of each of `rows` rows (ld bytes apart), row t at position pos0 + t: (x₁, x₂) ↦
  ;; (x₁c − x₂s, x₂c + x₁s) on the two halves of those rd. cos and sin are tables
  ;; [positions, rd] (the first rd/2 columns are used); dims rd … dh − 1 are left as they are.
  (func (export "rope")
    (param $x i32) (param $ld i32) (param $rows i32) (param $blocks i32) (param $dh i32) (param $rd i32) (param $cos i32) (param $sin i32) (param $pos0 i32)
    (local $t i32) (local $b i32) (local $i i32) (local $half i32) (local $h4 i32) (local $base i32) (local $pc i32) (local $ps i32) (local $o i32)
    (local $x1 v128) (local $x2 v128) (local $cv v128) (local $sv v128) (local $a1 f32) (local $a2 f32) (local $cs f32) (local $sn f32)
    (local.set $half (i32.shr_u (local.get $rd) (i32.const 1)))
    (local.set $h4 (i32.and (local.get $half) (i32.const -4)))
    (block $tdone (loop $tl
      (br_if $tdone (i32.ge_u (local.get $t) (local.get $rows)))
      (local.set $pc (i32.add (local.get $cos) (i32.shl (i32.mul (i32.add (local.get $pos0) (local.get $t)) (local.get $rd)) (i32.const 2))))
      (local.set $ps (i32.add (local.get $sin) (i32.shl (i32.mul (i32.add (local.get $pos0) (local.get $t)) (local.get $rd)) (i32.const 2))))
      ;; four dims of every block, then the next four: each row's cos and sin read once, not once a block
      (local.set $i (i32.const 0))
      (block $vdone (loop $vl
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $h4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $cv (v128.load (i32.add (local.get $pc) (local.get $o))))
        (local.set $sv (v128.load (i32.add (local.get $ps) (local.get $o))))
        (local.set $base (i32.add (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $ld))) (local.get $o)))
        (local.set $b (i32.const 0))
        (block $bvdone (loop $bvl
          (br_if $bvdone (i32.ge_u (local.get $b) (local.get $blocks)))
          (local.set $x1 (v128.load (local.get $base)))
          (local.set $x2 (v128.load (i32.add (local.get $base) (i32.shl (local.get $half) (i32.const 2)))))
          (v128.store (local.get $base)
            (f32x4.sub (f32x4.mul (local.get $x1) (local.get $cv)) (f32x4.mul (local.get $x2) (local.get $sv))))
          (v128.store (i32.add (local.get $base) (i32.shl (local.get $half) (i32.const 2)))
            (f32x4.add (f32x4.mul (local.get $x2) (local.get $cv)) (f32x4.mul (local.get $x1) (local.get $sv))))
          (local.set $base (i32.add (local.get $base) (i32.shl (local.get $dh) (i32.const 2))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bvl)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (local.set $b (i32.const 0))
      (block $bdone (loop $bl
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $blocks)))
        (local.set $base (i32.add (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $ld))) (i32.shl (i32.mul (local.get $b) (local.get $dh)) (i32.const 2))))
        (local.set $i (local.get $h4))
        (block $sdone (loop $sl
          (br_if $sdone (i32.ge_u (local.get $i) (local.get $half)))
          (local.set $o (i32.shl (local.get $i) (i32.const 2)))
          (local.set $a1 (f32.load (i32.add (local.get $base) (local.get $o))))
          (local.set $a2 (f32.load (i32.add (local.get $base) (i32.shl (i32.add (local.get $half) (local.get $i)) (i32.const 2)))))
          (local.set $cs (f32.load (i32.add (local.get $pc) (local.get $o))))
          (local.set $sn (f32.load (i32.add (local.get $ps) (local.get $o))))
          (f32.store (i32.add (local.get $base) (local.get $o))
            (f32.sub (f32.mul (local.get $a1) (local.get $cs)) (f32.mul (local.get $a2) (local.get $sn))))
          (f32.store (i32.add (local.get $base) (i32.shl (i32.add (local.get $half) (local.get $i)) (i32.const 2)))
            (f32.add (f32.mul (local.get $a2) (local.get $cs)) (f32.mul (local.get $a1) (local.get $sn))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $sl)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl))))

  ;; out[r, i] = a[r, i] op b[i] for rows of `width` (b one row: a bias; width 1: one value for
  ;; all); op 0 add, 1 sub, 2 mul, 3 div — one IEEE operation per element, the reference's bits.
  (func $op4 (param $x v128) (param $y v128) (param $op i32) (result v128)
    (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
      (then (if (result v128) (local.get $op) (then (f32x4.sub (local.get $x) (local.get $y))) (else (f32x4.add (local.get $x) (local.get $y)))))
      (else (if (result v128) (i32.eq (local.get $op) (i32.const 2)) (then (f32x4.mul (local.get $x) (local.get $y))) (else (f32x4.div (local.get $x) (local.get $y)))))))
  (func (export "binary_rows") (param $a i32) (param $b i32) (param $out i32) (param $rows i32) (param $width i32) (param $op i32)
    (local $r i32) (local $i i32) (local $w4 i32) (local $o i32) (local $n i32) (local $bv v128)
    (if (i32.eq (local.get $width) (i32.const 1))
      (then ;; one value of b for every element: rows × 1 is the whole tensor
        (local.set $bv (v128.load32_splat (local.get $b)))
        (local.set $n (i32.shl (local.get $rows) (i32.const 2)))
        (local.set $w4 (i32.and (local.get $n) (i32.const -16)))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $o) (local.get $w4)))
          (v128.store (i32.add (local.get $out) (local.get $o)) (call $op4 (v128.load (i32.add (local.get $a) (local.get $o))) (local.get $bv) (local.get $op)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l)))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $o) (local.get $n)))
          (f32.store (i32.add (local.get $out) (local.get $o))
            (f32x4.extract_lane 0 (call $op4 (f32x4.splat (f32.load (i32.add (local.get $a) (local.get $o)))) (local.get $bv) (local.get $op))))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (br $l2)))
        (return)))
    (local.set $w4 (i32.and (local.get $width) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $i (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $w4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (call $op4 (v128.load (i32.add (local.get $a) (local.get $o))) (v128.load (i32.add (local.get $b) (local.get $o))) (local.get $op)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l)))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $o))
          (f32x4.extract_lane 0 (call $op4 (f32x4.splat (f32.load (i32.add (local.get $a) (local.get $o)))) (f32x4.splat (f32.load (i32.add (local.get $b) (local.get $o)))) (local.get $op))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $width) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $width) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; ---------- the imported families' row and elementwise kernels (inference) ----------

  ;; Σ p[i] (or, with $square, Σ (p[i] − μ)²) over n16 floats of one row (a multiple of 16; 0 gives
  ;; 0): $sum16x2 with the row as both of its rows, the second result dropped — one summing loop, so
  ;; a row's bits are the same alone (a decode, a quad's leftover rows) as in a quad.
  (func $sum16 (param $p i32) (param $n16 i32) (param $mu4 v128) (param $square i32) (result v128)
    (if (result v128) (local.get $n16)
      (then (call $sum16x2 (local.get $p) (i32.const 0) (local.get $n16) (local.get $mu4) (local.get $mu4) (local.get $square)) (drop))
      (else (v128.const f32x4 0 0 0 0))))

  ;; [Σ lanes of a, Σ lanes of b, Σ lanes of c, Σ lanes of d], each as $hsum adds them,
  ;; (l0 + l1) + (l2 + l3): a 4×4 transpose, then three adds.
  (func $hsum4x4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab0 v128) (local $ab1 v128) (local $cd0 v128) (local $cd1 v128)
    (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))   ;; a0 b0 a1 b1
    (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))) ;; a2 b2 a3 b3
    (local.set $cd0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
    (local.set $cd1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
    (f32x4.add
      (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $cd0))      ;; lane 0s
                 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $cd0))) ;; lane 1s
      (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $cd1))      ;; lane 2s
                 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $cd1)))))

  ;; Σ p[i] (or, with $square, Σ (p[i] − μ)², μ each row's own) over n16 floats (a multiple of 16,
  ;; at least 16) of two rows ld bytes apart at once: each row in four accumulators of four lanes
  ;; (vector 4i + r into accumulator r), returned added lane by lane as (a0 + a1) + (a2 + a3) — the
  ;; caller takes the lanes' sum. Eight chains a quarter as long as one, no call or branch per row.
  (func $sum16x2 (param $p i32) (param $ld i32) (param $n16 i32) (param $mu0 v128) (param $mu1 v128) (param $square i32) (result v128 v128)
    (local $q i32) (local $end i32) (local $t v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $q (i32.add (local.get $p) (local.get $ld)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n16) (i32.const 2))))
    (if (local.get $square)
      (then
        (loop $l
          (local.set $t (f32x4.sub (v128.load offset=0 (local.get $p)) (local.get $mu0)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=0 (local.get $q)) (local.get $mu1)))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $mu0)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=16 (local.get $q)) (local.get $mu1)))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $mu0)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=32 (local.get $q)) (local.get $mu1)))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $mu0)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (v128.load offset=48 (local.get $q)) (local.get $mu1)))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (br_if $l (i32.lt_u (local.get $p) (local.get $end)))))
      (else
        (loop $l
          (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $p))))
          (local.set $b0 (f32x4.add (local.get $b0) (v128.load offset=0 (local.get $q))))
          (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
          (local.set $b1 (f32x4.add (local.get $b1) (v128.load offset=16 (local.get $q))))
          (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
          (local.set $b2 (f32x4.add (local.get $b2) (v128.load offset=32 (local.get $q))))
          (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
          (local.set $b3 (f32x4.add (local.get $b3) (v128.load offset=48 (local.get $q))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (br_if $l (i32.lt_u (local.get $p) (local.get $end))))))
    (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))
    (f32x4.add (f32x4.add (local.get $b0) (local.get $b1)) (f32x4.add (local.get $b2) (local.get $b3))))

  ;; out = (x − μ)·s·w + b over four rows of n16 floats (a multiple of 4) ld bytes apart, each row's
  ;; μ and s in a lane of m and s: layer_norm_inference's last step for a quad of rows (the row-by-row
  ;; loop's expression: the same bits), w and b loaded once for the four.
  (func $norm_rows4 (param $px i32) (param $po i32) (param $ld i32) (param $w i32) (param $b i32) (param $n16 i32) (param $m v128) (param $s v128)
    (local $o i32) (local $end i32) (local $wv v128) (local $bv v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $m0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $m) (local.get $m)))
    (local.set $m1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $m) (local.get $m)))
    (local.set $m2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $m) (local.get $m)))
    (local.set $m3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $m) (local.get $m)))
    (local.set $s0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $s) (local.get $s)))
    (local.set $s1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $s) (local.get $s)))
    (local.set $s2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $s) (local.get $s)))
    (local.set $s3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $s) (local.get $s)))
    (local.set $end (i32.shl (local.get $n16) (i32.const 2)))
    (loop $l
      (local.set $wv (v128.load (i32.add (local.get $w) (local.get $o))))
      (local.set $bv (v128.load (i32.add (local.get $b) (local.get $o))))
      (v128.store (i32.add (local.get $po) (local.get $o))
        (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $o))) (local.get $m0)) (local.get $s0)) (local.get $wv)) (local.get $bv)))
      (v128.store (i32.add (i32.add (local.get $po) (local.get $ld)) (local.get $o))
        (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (i32.add (local.get $px) (local.get $ld)) (local.get $o))) (local.get $m1)) (local.get $s1)) (local.get $wv)) (local.get $bv)))
      (v128.store (i32.add (i32.add (local.get $po) (i32.shl (local.get $ld) (i32.const 1))) (local.get $o))
        (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (i32.add (local.get $px) (i32.shl (local.get $ld) (i32.const 1))) (local.get $o))) (local.get $m2)) (local.get $s2)) (local.get $wv)) (local.get $bv)))
      (v128.store (i32.add (i32.add (local.get $po) (i32.mul (local.get $ld) (i32.const 3))) (local.get $o))
        (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (i32.add (local.get $px) (i32.mul (local.get $ld) (i32.const 3))) (local.get $o))) (local.get $m3)) (local.get $s3)) (local.get $wv)) (local.get $bv)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $o) (local.get $end)))))

  ;; Per row of `width`: out = (x − μ)/√(σ² + eps)·w + b, for inference: nothing saved for a backward
  ;; pass, and each sum in four accumulators ($sum16), so a row's adds are four chains a quarter as
  ;; long instead of one — the rows are short (64 floats in the locked model) and the single chain's
  ;; latency was most of their time. The sums' order differs from layer_norm's. out may be x.
  (func (export "layer_norm_inference")
    (param $x i32) (param $w i32) (param $b i32) (param $out i32) (param $rows i32) (param $width i32) (param $eps f32)
    (local $r i32) (local $i i32) (local $w16 i32) (local $px i32) (local $po i32) (local $o i32)
    (local $t v128) (local $mu4 v128) (local $s4 v128) (local $mu f32) (local $var f32) (local $s f32) (local $h f32)
    (local $ld i32) (local $m v128) (local $v v128) (local $n4 v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $w16 (i32.and (local.get $width) (i32.const -16)))
    ;; Rows four at a time where the width is whole vectors of 16: each row's sums as below (two rows
    ;; a loop, $sum16x2), then the four rows' means, variances, square roots and divisions as one
    ;; vector each — one chain of dependent steps for four rows instead of four — and the four rows
    ;; normalised in one loop. The same sums in the same order: the same bits.
    (if (i32.and (i32.eq (local.get $w16) (local.get $width)) (i32.ne (local.get $width) (i32.const 0)))
      (then
        (local.set $ld (i32.shl (local.get $width) (i32.const 2)))
        (local.set $n4 (f32x4.splat (f32.convert_i32_u (local.get $width))))
        (block $qdone (loop $quad
          (br_if $qdone (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
          (local.set $px (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $ld))))
          (local.set $po (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $ld))))
          (call $sum16x2 (local.get $px) (local.get $ld) (local.get $w16) (v128.const f32x4 0 0 0 0) (v128.const f32x4 0 0 0 0) (i32.const 0))
          (local.set $s1) (local.set $s0)
          (call $sum16x2 (i32.add (local.get $px) (i32.shl (local.get $ld) (i32.const 1))) (local.get $ld) (local.get $w16) (v128.const f32x4 0 0 0 0) (v128.const f32x4 0 0 0 0) (i32.const 0))
          (local.set $s3) (local.set $s2)
          (local.set $m (f32x4.div (call $hsum4x4 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)) (local.get $n4)))
          (call $sum16x2 (local.get $px) (local.get $ld) (local.get $w16)
            (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $m) (local.get $m)) (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $m) (local.get $m)) (i32.const 1))
          (local.set $s1) (local.set $s0)
          (call $sum16x2 (i32.add (local.get $px) (i32.shl (local.get $ld) (i32.const 1))) (local.get $ld) (local.get $w16)
            (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $m) (local.get $m)) (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $m) (local.get $m)) (i32.const 1))
          (local.set $s3) (local.set $s2)
          (local.set $v (call $hsum4x4 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
          (local.set $v (f32x4.div (global.get $f32x4:1) (f32x4.sqrt (f32x4.add (f32x4.div (local.get $v) (local.get $n4)) (f32x4.splat (local.get $eps))))))
          (call $norm_rows4 (local.get $px) (local.get $po) (local.get $ld) (local.get $w) (local.get $b) (local.get $w16) (local.get $m) (local.get $v))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $quad)))))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      (local.set $po (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      ;; mean: 16 at a time, then the rest one by one
      (local.set $mu (call $hsum (call $sum16 (local.get $px) (local.get $w16) (v128.const f32x4 0 0 0 0) (i32.const 0))))
      (local.set $i (local.get $w16))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $mu (f32.add (local.get $mu) (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1)))
      (local.set $mu (f32.div (local.get $mu) (f32.convert_i32_u (local.get $width))))
      (local.set $mu4 (f32x4.splat (local.get $mu)))
      ;; variance, the same way
      (local.set $var (call $hsum (call $sum16 (local.get $px) (local.get $w16) (local.get $mu4) (i32.const 1))))
      (local.set $i (local.get $w16))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $h (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu)))
        (local.set $var (f32.add (local.get $var) (f32.mul (local.get $h) (local.get $h))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.set $s (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.div (local.get $var) (f32.convert_i32_u (local.get $width))) (local.get $eps)))))
      (local.set $s4 (f32x4.splat (local.get $s)))
      ;; normalise, scale, shift
      (local.set $i (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $width)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $t (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $o))) (local.get $mu4)) (local.get $s4)))
        (v128.store (i32.add (local.get $po) (local.get $o))
          (f32x4.add (f32x4.mul (local.get $t) (v128.load (i32.add (local.get $w) (local.get $o))))
                     (v128.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l3)))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $h (f32.mul (f32.sub (f32.load (i32.add (local.get $px) (local.get $o))) (local.get $mu)) (local.get $s)))
        (f32.store (i32.add (local.get $po) (local.get $o))
          (f32.add (f32.mul (local.get $h) (f32.load (i32.add (local.get $w) (local.get $o)))) (f32.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Per row of `width`: out = x / √(mean(x²) + eps) · w (RMSNorm, LLaMA's norm; no mean, no bias).
  (func (export "rms_norm")
    (param $x i32) (param $w i32) (param $out i32) (param $rows i32) (param $width i32) (param $eps f32)
    (local $r i32) (local $i i32) (local $w4 i32) (local $px i32) (local $po i32) (local $o i32)
    (local $acc v128) (local $ms f32) (local $s f32) (local $inv f32) (local $inv4 v128)
    (local.set $w4 (i32.and (local.get $width) (i32.const -4)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      (local.set $po (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $w4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (i32.add (local.get $px) (local.get $o))) (v128.load (i32.add (local.get $px) (local.get $o))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l1)))
      (local.set $ms (call $hsum (local.get $acc)))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $s (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $ms (f32.add (local.get $ms) (f32.mul (local.get $s) (local.get $s))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.set $inv (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.div (local.get $ms) (f32.convert_i32_u (local.get $width))) (local.get $eps)))))
      (local.set $inv4 (f32x4.splat (local.get $inv)))
      (local.set $i (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $i) (local.get $w4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $po) (local.get $o))
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $px) (local.get $o))) (local.get $inv4))
                     (v128.load (i32.add (local.get $w) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l3)))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $i) (local.get $width)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $po) (local.get $o))
          (f32.mul (f32.mul (f32.load (i32.add (local.get $px) (local.get $o))) (local.get $inv))
                   (f32.load (i32.add (local.get $w) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; SiLU per lane: x·σ(x) = x / (1 + e⁻ˣ) (e⁻ˣ saturates at e⁸⁸: a very negative x gives a tiny value, not NaN).
  (func $silu4 (param $x v128) (result v128)
    (f32x4.div (local.get $x) (f32x4.add (global.get $f32x4:1) (call $exp4 (f32x4.neg (local.get $x))))))

  ;; GELU per lane for inference, x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)) and erf(x/√2) ≈ x·P(x²)/Q(x²):
  ;; a rational fit of degree 5 over 5 in x² (scripts/fit-erf.mjs: near-minimax against erf.ts's
  ;; float64 erf, 1.7e-8 in float64; in float32, within 3.5e-7 of erf for every x — A&S 7.1.26 in
  ;; $erf4 is within 5.3e-7), x clamped to ±5.5437 where erf(x/√2) rounds to ±1. P's coefficients
  ;; here are the fit's halved, so Φ = ½ + x·P/Q with no ½x of its own: halving is exact in float32,
  ;; every step of P's Horner is exactly half of the fit's, and x·(½ + ½e) has the bits of ½x·(1 + e).
  ;; 27 vector operations per four lanes, 17 in the fma flavour, against $gelu4's A&S form with its eˣ
  ;; and division (48, 36): the forward of InferenceSession uses it; training keeps $gelu4, whose bits
  ;; the shipped model's recipe records.
  (func $gelu_rational4 (param $x v128) (result v128)
    (local $c v128) (local $s v128) (local $p v128) (local $q v128)
    (local.set $c (f32x4.pmin (f32x4.pmax (local.get $x) (global.get $f32x4:-5.54371716)) (global.get $f32x4:5.54371716)))
    (local.set $s (f32x4.mul (local.get $c) (local.get $c)))
    (local.set $p (f32x4.add (f32x4.mul (global.get $f32x4:2.25040431e-8) (local.get $s)) (global.get $f32x4:0.00000633798072)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s)) (global.get $f32x4:0.000169963649)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s)) (global.get $f32x4:0.00468385313)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s)) (global.get $f32x4:0.0339869745)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s)) (global.get $f32x4:0.398942232)))
    (local.set $q (f32x4.add (f32x4.mul (global.get $f32x4:0.00000118930427) (local.get $s)) (global.get $f32x4:0.0000738973249)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $s)) (global.get $f32x4:0.00189097936)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $s)) (global.get $f32x4:0.0287184957)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $s)) (global.get $f32x4:0.251858681)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $s)) (global.get $f32x4:1)))
    (f32x4.mul (local.get $x) (f32x4.add (global.get $f32x4:0.5) (f32x4.div (f32x4.mul (local.get $c) (local.get $p)) (local.get $q)))))

  ;; kind 0: ReLU, max(x, 0) (NaN stays NaN); kind 1: SiLU; kind 2: GELU (the rational erf above).
  (func $act4 (param $x v128) (param $kind i32) (result v128)
    (if (result v128) (i32.eq (local.get $kind) (i32.const 2))
      (then (call $gelu_rational4 (local.get $x)))
      (else
        (if (result v128) (local.get $kind)
          (then (call $silu4 (local.get $x)))
          (else (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0)))))))

  ;; x[i] = act(x[i]) in place for n elements (kind as $act4).
  (func (export "activate") (param $x i32) (param $n i32) (param $kind i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    ;; GELU in a loop of its own, four vectors a turn (the turn shares its constants' loads): no branch on the kind per four lanes, and only its vectors live
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (block $gdone (loop $g
          (br_if $gdone (i32.ge_u (i32.add (local.get $x) (i32.const 48)) (local.get $vend)))
          (v128.store offset=0 (local.get $x) (call $gelu_rational4 (v128.load offset=0 (local.get $x))))
          (v128.store offset=16 (local.get $x) (call $gelu_rational4 (v128.load offset=16 (local.get $x))))
          (v128.store offset=32 (local.get $x) (call $gelu_rational4 (v128.load offset=32 (local.get $x))))
          (v128.store offset=48 (local.get $x) (call $gelu_rational4 (v128.load offset=48 (local.get $x))))
          (local.set $x (i32.add (local.get $x) (i32.const 64)))
          (br $g)))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $x) (local.get $vend)))
      (v128.store (local.get $x) (call $act4 (v128.load (local.get $x)) (local.get $kind)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $v)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $x) (f32x4.extract_lane 0 (call $act4 (f32x4.splat (f32.load (local.get $x))) (local.get $kind))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (br $s))))

  ;; dst[i] ·= src[i] for n elements (the gated MLP's up · act(gate)).
  (func (export "mul") (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (f32x4.mul (v128.load (local.get $dst)) (v128.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $v)))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.mul (f32.load (local.get $dst)) (f32.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $s))))

  ;; dst row t ← table row ids[t] for n rows of `width` floats (rows dense at both ends): an
  ;; embedding's lookup in one call. ids are 32-bit integers at `ids`; the caller has checked them.
  (func (export "gather_rows") (param $table i32) (param $ids i32) (param $n i32) (param $width i32) (param $dst i32)
    (local $src i32) (local $bytes i32) (local $vend i32) (local $o i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $vend (i32.and (local.get $bytes) (i32.const -16)))
    (block $done (loop $row
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $src (i32.add (local.get $table) (i32.mul (i32.load (local.get $ids)) (local.get $bytes))))
      (local.set $o (i32.const 0))
      (block $vdone (loop $v
        (br_if $vdone (i32.ge_u (local.get $o) (local.get $vend)))
        (v128.store (i32.add (local.get $dst) (local.get $o)) (v128.load (i32.add (local.get $src) (local.get $o))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $v)))
      (block $sdone (loop $s
        (br_if $sdone (i32.ge_u (local.get $o) (local.get $bytes)))
        (f32.store (i32.add (local.get $dst) (local.get $o)) (f32.load (i32.add (local.get $src) (local.get $o))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $s)))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $row))))

  ;; dst[r, :width] += src[r, :width] (if src ≠ 0) + bias (if bias ≠ 0), rows ldd and lds bytes apart:
  ;; (d + s) + b, in that order. A loop of its own for each of the three cases, the rows' pointers
  ;; stepped, not multiplied — the add is a few instructions a vector, and branches and address
  ;; arithmetic in the loop were most of its time.
  (func (export "add_rows")
    (param $dst i32) (param $ldd i32) (param $src i32) (param $lds i32) (param $bias i32) (param $rows i32) (param $width i32)
    (local $r i32) (local $o i32) (local $w4 i32) (local $w1 i32) (local $pd i32) (local $ps i32) (local $s f32)
    (local.set $w4 (i32.shl (i32.and (local.get $width) (i32.const -4)) (i32.const 2)))
    (local.set $w1 (i32.shl (local.get $width) (i32.const 2)))
    (local.set $pd (local.get $dst))
    (local.set $ps (local.get $src))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $o (i32.const 0))
      (if (i32.and (i32.ne (local.get $src) (i32.const 0)) (i32.ne (local.get $bias) (i32.const 0)))
        (then
          (block $d1 (loop $l1
            (br_if $d1 (i32.ge_u (local.get $o) (local.get $w4)))
            (v128.store (i32.add (local.get $pd) (local.get $o))
              (f32x4.add (f32x4.add (v128.load (i32.add (local.get $pd) (local.get $o))) (v128.load (i32.add (local.get $ps) (local.get $o))))
                         (v128.load (i32.add (local.get $bias) (local.get $o)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $l1))))
        (else
          (if (local.get $src)
            (then
              (block $d2 (loop $l2
                (br_if $d2 (i32.ge_u (local.get $o) (local.get $w4)))
                (v128.store (i32.add (local.get $pd) (local.get $o))
                  (f32x4.add (v128.load (i32.add (local.get $pd) (local.get $o))) (v128.load (i32.add (local.get $ps) (local.get $o)))))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $l2))))
            (else
              (if (local.get $bias)
                (then
                  (block $d3 (loop $l3
                    (br_if $d3 (i32.ge_u (local.get $o) (local.get $w4)))
                    (v128.store (i32.add (local.get $pd) (local.get $o))
                      (f32x4.add (v128.load (i32.add (local.get $pd) (local.get $o))) (v128.load (i32.add (local.get $bias) (local.get $o)))))
                    (local.set $o (i32.add (local.get $o) (i32.const 16)))
                    (br $l3)))))))))
      ;; the last width mod 4, one at a time
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $w1)))
        (local.set $s (f32.load (i32.add (local.get $pd) (local.get $o))))
        (if (local.get $src) (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $ps) (local.get $o)))))))
        (if (local.get $bias) (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $bias) (local.get $o)))))))
        (f32.store (i32.add (local.get $pd) (local.get $o)) (local.get $s))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l4)))
      (local.set $pd (i32.add (local.get $pd) (local.get $ldd)))
      (local.set $ps (i32.add (local.get $ps) (local.get $lds)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Pack B into 16-column panels: src is B as [k, n] (or [n, k] when $trans), dst gets
  ;; n16/16 panels of [k][16], zero past column n. Offsets in bytes.
  (func (export "pack_b")
    (param $src i32) (param $dst i32) (param $k i32) (param $n i32) (param $n16 i32) (param $trans i32)
    (local $j0 i32) (local $p i32) (local $jj i32) (local $j i32) (local $out i32)
    (local.set $out (local.get $dst))
    (block $jdone
      (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j0) (local.get $n16)))
        (local.set $p (i32.const 0))
        ;; A full panel of an untransposed B: copy each row's 16 floats as four vectors.
        (if (i32.and (i32.eqz (local.get $trans)) (i32.le_u (i32.add (local.get $j0) (i32.const 16)) (local.get $n)))
          (then
            (local.set $j (i32.add (local.get $src) (i32.shl (local.get $j0) (i32.const 2))))
            (block $vdone
              (loop $vloop
                (br_if $vdone (i32.ge_u (local.get $p) (local.get $k)))
                (v128.store (local.get $out) (v128.load (local.get $j)))
                (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $j)))
                (v128.store offset=32 (local.get $out) (v128.load offset=32 (local.get $j)))
                (v128.store offset=48 (local.get $out) (v128.load offset=48 (local.get $j)))
                (local.set $out (i32.add (local.get $out) (i32.const 64)))
                (local.set $j (i32.add (local.get $j) (i32.shl (local.get $n) (i32.const 2))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $vloop)))))
        (block $pdone
          (loop $ploop
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $jj (i32.const 0))
            (block $cdone
              (loop $cloop
                (br_if $cdone (i32.ge_u (local.get $jj) (i32.const 16)))
                (local.set $j (i32.add (local.get $j0) (local.get $jj)))
                (f32.store (local.get $out)
                  (if (result f32) (i32.lt_u (local.get $j) (local.get $n))
                    (then (f32.load (i32.add (local.get $src) (i32.shl
                      (select (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p))
                              (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j))
                              (local.get $trans))
                      (i32.const 2)))))
                    (else (f32.const 0))))
                (local.set $out (i32.add (local.get $out) (i32.const 4)))
                (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                (br $cloop)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $ploop)))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 16)))
        (br $jloop))))

  ;; dst[c, r] = src[r, c] for a [rows, cols] matrix. Offsets in bytes. 4×4 blocks with shuffles
  ;; (four rows of four loaded, interleaved in pairs, the pairs interleaved: four columns), so the
  ;; strided side moves 16 bytes at a time; the ragged edges one float at a time.
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32) (local $ls i32) (local $ld i32) (local $ps i32) (local $pd i32)
    (local $a v128) (local $b v128) (local $e v128) (local $f v128) (local $ab0 v128) (local $ab1 v128) (local $ef0 v128) (local $ef1 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $ls (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $ld (i32.shl (local.get $rows) (i32.const 2)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $r4)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $c4)))
            (local.set $ps (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $a (v128.load (local.get $ps)))
            (local.set $b (v128.load (i32.add (local.get $ps) (local.get $ls))))
            (local.set $ps (i32.add (local.get $ps) (i32.shl (local.get $ls) (i32.const 1))))
            (local.set $e (v128.load (local.get $ps)))
            (local.set $f (v128.load (i32.add (local.get $ps) (local.get $ls))))
            ;; ab0 = a0 b0 a1 b1, ab1 = a2 b2 a3 b3, ef0 = e0 f0 e1 f1, ef1 = e2 f2 e3 f3
            (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $ef0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $f)))
            (local.set $ef1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e) (local.get $f)))
            (local.set $pd (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
            (v128.store (local.get $pd) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $ef0)))
            (local.set $pd (i32.add (local.get $pd) (local.get $ld)))
            (v128.store (local.get $pd) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $ef0)))
            (local.set $pd (i32.add (local.get $pd) (local.get $ld)))
            (v128.store (local.get $pd) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $ef1)))
            (local.set $pd (i32.add (local.get $pd) (local.get $ld)))
            (v128.store (local.get $pd) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $ef1)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $cloop)))
        ;; the last cols mod 4 columns of these four rows
        (call $transpose_edge (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $r) (i32.add (local.get $r) (i32.const 4)) (local.get $c4))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rloop)))
    ;; the last rows mod 4 rows, every column
    (call $transpose_edge (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $r4) (local.get $rows) (i32.const 0)))

  ;; dst[c, r] = src[r, c] for r0 ≤ r < r1, c0 ≤ c < cols, one float at a time.
  (func $transpose_edge
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $r i32) (param $r1 i32) (param $c0 i32)
    (local $c i32)
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (local.get $c0))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
                       (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop)))))
