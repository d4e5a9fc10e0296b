;; The WebAssembly SIMD matrix kernel: C[m, n16] = A[m, k] · B, with B packed by the caller
;; into panels of 16 columns (panel j/16 at bp + j·k·4 bytes, row p of a panel 64 bytes long).
;; A 2×16 output tile lives in 8 f32x4 accumulators; A's two rows are broadcast with
;; load32_splat, four vectors of B are loaded per step; the k loop is not unrolled
;; (V8 would hoist and spill). All offsets are in bytes.
(module
  (memory (export "memory") 1)
  (func (export "gemm")
    (param $a i32) (param $bp i32) (param $c i32) (param $m i32) (param $k i32) (param $n16 i32)
    (local $j i32) (local $i i32) (local $p i32) (local $panel i32) (local $rowBytes i32) (local $kBytes i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $pc i32)
    (local $x0 v128) (local $x1 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local.set $rowBytes (i32.shl (local.get $n16) (i32.const 2)))
    (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
    (block $jdone
      (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n16)))
        (local.set $panel (i32.add (local.get $bp) (i32.mul (local.get $j) (local.get $kBytes))))
        (local.set $i (i32.const 0))
        (block $idone
          (loop $iloop
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $kBytes))))
            ;; the second row of the tile: row i+1, or row i again past the end (its result is not stored)
            (local.set $pa1 (select (i32.add (local.get $pa0) (local.get $kBytes)) (local.get $pa0)
                                    (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
            (local.set $pb (local.get $panel))
            (local.set $c00 (v128.const f32x4 0 0 0 0))
            (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $c02 (v128.const f32x4 0 0 0 0))
            (local.set $c03 (v128.const f32x4 0 0 0 0))
            (local.set $c10 (v128.const f32x4 0 0 0 0))
            (local.set $c11 (v128.const f32x4 0 0 0 0))
            (local.set $c12 (v128.const f32x4 0 0 0 0))
            (local.set $c13 (v128.const f32x4 0 0 0 0))
            (local.set $p (local.get $k))
            (block $pdone
              (loop $ploop
                (br_if $pdone (i32.eqz (local.get $p)))
                (local.set $x0 (v128.load32_splat (local.get $pa0)))
                (local.set $x1 (v128.load32_splat (local.get $pa1)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $b2 (v128.load offset=32 (local.get $pb)))
                (local.set $b3 (v128.load offset=48 (local.get $pb)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $b1))))
                (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $x0) (local.get $b2))))
                (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $x0) (local.get $b3))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $b1))))
                (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $x1) (local.get $b2))))
                (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $x1) (local.get $b3))))
                (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
                (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $ploop)))
            (local.set $pc (i32.add (local.get $c)
                                    (i32.add (i32.mul (local.get $i) (local.get $rowBytes)) (i32.shl (local.get $j) (i32.const 2)))))
            (v128.store offset=0 (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (v128.store offset=32 (local.get $pc) (local.get $c02))
            (v128.store offset=48 (local.get $pc) (local.get $c03))
            (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $m))
              (then
                (local.set $pc (i32.add (local.get $pc) (local.get $rowBytes)))
                (v128.store offset=0 (local.get $pc) (local.get $c10))
                (v128.store offset=16 (local.get $pc) (local.get $c11))
                (v128.store offset=32 (local.get $pc) (local.get $c12))
                (v128.store offset=48 (local.get $pc) (local.get $c13))))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $iloop)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop))))
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

  ;; dst[c, r] = src[r, c] for a [rows, cols] matrix. Offsets in bytes.
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32)
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
                       (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop)))))
