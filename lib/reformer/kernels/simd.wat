;; The engine's WebAssembly SIMD kernels for tfjs-backend-wasm, working in place on the memory they
;; import (the backend's heap). Built into simd.wasm.ts by `npm run build:kernels`; a unit test
;; checks that the two agree.
;;
;; productNT: C[s] = A[s] · B[s]ᵀ for s < batch: A [batch, n, k], B [batch, m, k], C [batch, n, m], float32,
;; row-major, at byte offsets a, b, c. Needs k % 4 == 0 and m % 4 == 0; the caller checks.
;;
;; For each row of A and four rows of B, four f32x4 accumulators run along k (both operands read
;; contiguously, the A vector loaded once for the four), then one transpose-and-add turns the four
;; accumulators into the four outputs C[i, j..j+3], stored as one vector.

(module
  (import "env" "memory" (memory 1))
  (func (export "productNT")
    (param $batch i32) (param $n i32) (param $m i32) (param $k i32)
    (param $a i32) (param $b i32) (param $c i32)
    (local $kBytes i32) (local $aEnd i32) (local $bSlice i32) (local $bEnd i32)
    (local $aRow i32) (local $aRowEnd i32) (local $b0 i32) (local $p i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $va v128)
    (local $t0 v128) (local $t1 v128)
    (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
    ;; one batch entry after another; A and C are walked in order, B restarts at each row of A
    (local.set $aEnd (i32.add (local.get $a)
      (i32.mul (i32.mul (local.get $batch) (local.get $n)) (local.get $kBytes))))
    (local.set $bSlice (local.get $b))
    (local.set $aRow (local.get $a))
    (block $done
      (loop $slices
        (br_if $done (i32.ge_u (local.get $aRow) (local.get $aEnd)))
        (local.set $aRowEnd (i32.add (local.get $aRow) (i32.mul (local.get $n) (local.get $kBytes))))
        (local.set $bEnd (i32.add (local.get $bSlice) (i32.mul (local.get $m) (local.get $kBytes))))
        (loop $rows
          (local.set $b0 (local.get $bSlice))
          (loop $cols
            (local.set $acc0 (v128.const i32x4 0 0 0 0))
            (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $acc2 (v128.const i32x4 0 0 0 0))
            (local.set $acc3 (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.const 0))
            (loop $dot
              (local.set $va (v128.load (i32.add (local.get $aRow) (local.get $p))))
              (local.set $acc0 (f32x4.add (local.get $acc0)
                (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $b0) (local.get $p))))))
              (local.set $acc1 (f32x4.add (local.get $acc1)
                (f32x4.mul (local.get $va) (v128.load (i32.add (i32.add (local.get $b0) (local.get $kBytes)) (local.get $p))))))
              (local.set $acc2 (f32x4.add (local.get $acc2)
                (f32x4.mul (local.get $va) (v128.load (i32.add (i32.add (local.get $b0) (i32.shl (local.get $kBytes) (i32.const 1))) (local.get $p))))))
              (local.set $acc3 (f32x4.add (local.get $acc3)
                (f32x4.mul (local.get $va) (v128.load (i32.add (i32.add (local.get $b0) (i32.mul (local.get $kBytes) (i32.const 3))) (local.get $p))))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $dot (i32.lt_u (local.get $p) (local.get $kBytes))))
            ;; (x0 x1 x2 x3), (y…), (z…), (w…) → (Σx, Σy, Σz, Σw)
            (local.set $t0 (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $acc0) (local.get $acc1))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $acc0) (local.get $acc1))))
            (local.set $t1 (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $acc2) (local.get $acc3))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $acc2) (local.get $acc3))))
            (v128.store (local.get $c) (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (local.set $b0 (i32.add (local.get $b0) (i32.shl (local.get $kBytes) (i32.const 2))))
            (br_if $cols (i32.lt_u (local.get $b0) (local.get $bEnd))))
          (local.set $aRow (i32.add (local.get $aRow) (local.get $kBytes)))
          (br_if $rows (i32.lt_u (local.get $aRow) (local.get $aRowEnd))))
        (local.set $bSlice (local.get $bEnd))
        (br $slices))))

  ;; exp of four floats: Cephes' expf (n = round(x·log₂e), r = x − n·ln 2 in two parts, a degree-7
  ;; polynomial in r, times 2ⁿ built in the exponent bits as 2^(n >> 1) times 2^(n - (n >> 1)) so that n = 128 is
  ;; reached); within 2 ulp of the exact value. Below −87.34 (where eˣ is subnormal) it returns 0,
  ;; above 88.72 +∞; NaN stays NaN.
  (func $exp4 (param $x v128) (result v128)
    (local $fx v128) (local $r v128) (local $y v128) (local $c v128) (local $n v128) (local $half v128)
    (local.set $c (f32x4.max (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)))
    (local.set $c (f32x4.min (local.get $c) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283)))
    (local.set $fx (f32x4.nearest (f32x4.mul (local.get $c)
      (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $c) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; y·r² + r + 1
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    (local.set $n (i32x4.trunc_sat_f32x4_s (local.get $fx)))
    (local.set $half (i32x4.shr_s (local.get $n) (i32.const 1)))
    (local.set $y (f32x4.mul (local.get $y)
      (i32x4.shl (i32x4.add (local.get $half) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $y (f32x4.mul (local.get $y)
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $n) (local.get $half)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $y (v128.andnot (local.get $y)
      (f32x4.lt (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654))))
    (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $y)
      (f32x4.gt (local.get $x) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283))))

  ;; exp: y[i] = exp(x[i]) for i < size; x and y are byte offsets.
  (func (export "exp") (param $size i32) (param $x i32) (param $y i32)
    (local $end i32) (local $vectorEnd i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $size) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $size) (i32.const -4)) (i32.const 2))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $x) (local.get $vectorEnd)))
        (v128.store (local.get $y) (call $exp4 (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vectors)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store32_lane 0 (local.get $y) (call $exp4 (v128.load32_zero (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail)))))
