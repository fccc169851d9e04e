;; The engine's WebAssembly SIMD kernels for tfjs-backend-wasm, working in place on the memory they
;; import (the backend's heap). Built into simd.wasm.ts by `npm run build:kernels`; a unit test
;; checks that the two agree.
;;
;; attend / attendGrad (at the end): chunked attention fused, forward and backward.
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
        (br $tail))))

  ;; ───── Chunked attention, fused: no score tensor is ever written out. ─────
  ;;
  ;; Rows are sorted slots, `rows` = sequences · seqLen of them, each of d floats: q (queries),
  ;; k (normalised keys), v (values), [rows, d] at byte offsets q, k, v; buckets [rows] (int32) is
  ;; each slot's hash bucket. Slot r attends to the slots of its own bucket's run (sorted order
  ;; keeps a bucket together) that are at most `chunk` slots before it, score scale·q_r·k_t, and to
  ;; itself with score scale·q_r·k_r − 1e5 (so itself only when there is nothing else). This is the
  ;; chunked attention's window (the chunk before and its own) with every masked slot skipped:
  ;; attention.ts's windowBias gives the masked ones −1e9, whose weights are exactly 0. Needs
  ;; d % 4 == 0; `scratch` holds chunk + 8 floats.

  ;; (x·y0, x·y1, x·y2, x·y3) for a row x and the rows y0 = y, y1 = y + stride, …, each dBytes long.
  (func $dot4 (param $x i32) (param $y i32) (param $stride i32) (param $dBytes i32) (result v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $vx v128)
    (local $p i32) (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $t0 v128) (local $t1 v128)
    (local.set $y1 (i32.add (local.get $y) (local.get $stride)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $stride)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $stride)))
    (loop $dot
      (local.set $vx (v128.load (i32.add (local.get $x) (local.get $p))))
      (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $vx) (v128.load (i32.add (local.get $y) (local.get $p))))))
      (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $vx) (v128.load (i32.add (local.get $y1) (local.get $p))))))
      (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $vx) (v128.load (i32.add (local.get $y2) (local.get $p))))))
      (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $vx) (v128.load (i32.add (local.get $y3) (local.get $p))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $dot (i32.lt_u (local.get $p) (local.get $dBytes))))
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $acc0) (local.get $acc1))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $acc0) (local.get $acc1))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $acc2) (local.get $acc3))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $acc2) (local.get $acc3))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))

  (func $hsum (param $x v128) (result f32)
    (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
    (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
    (f32x4.extract_lane 0 (local.get $x)))

  (func $hmax (param $x v128) (result f32)
    (local.set $x (f32x4.max (local.get $x) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
    (local.set $x (f32x4.max (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
    (f32x4.extract_lane 0 (local.get $x)))

  ;; Σ x[i]·y[i] over dBytes of two rows.
  (func $dot (param $x i32) (param $y i32) (param $dBytes i32) (result f32)
    (local $acc v128) (local $p i32)
    (loop $dot
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $p))) (v128.load (i32.add (local.get $y) (local.get $p))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $dot (i32.lt_u (local.get $p) (local.get $dBytes))))
    (call $hsum (local.get $acc)))

  ;; dBytes of zeros from byte offset x (dBytes % 16 == 0, > 0).
  (func $zero (param $x i32) (param $bytes i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (local.get $bytes)))
    (loop $z
      (v128.store (local.get $x) (v128.const i32x4 0 0 0 0))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $z (i32.lt_u (local.get $x) (local.get $end)))))

  ;; y += a·x over dBytes (y and x byte offsets, dBytes % 16 == 0, > 0).
  (func $axpy (param $a v128) (param $x i32) (param $y i32) (param $dBytes i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (local.get $dBytes)))
    (loop $l
      (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $a) (v128.load (local.get $x)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $x) (local.get $end)))))

  ;; ln x for a positive normal x: Cephes' logf (x = m·2ᵉ with m in [√½, √2), a degree-9 polynomial
  ;; in m − 1, e·ln 2 added in two parts).
  (func $log (param $x f32) (result f32)
    (local $bits i32) (local $e i32) (local $m f32) (local $z f32) (local $y f32) (local $fe f32)
    (local.set $bits (i32.reinterpret_f32 (local.get $x)))
    (local.set $e (i32.sub (i32.shr_u (local.get $bits) (i32.const 23)) (i32.const 126)))
    (local.set $m (f32.reinterpret_i32 (i32.or (i32.and (local.get $bits) (i32.const 0x807fffff)) (i32.const 0x3f000000))))
    (if (f32.lt (local.get $m) (f32.const 0.70710678118654752440))
      (then
        (local.set $e (i32.sub (local.get $e) (i32.const 1)))
        (local.set $m (f32.sub (f32.add (local.get $m) (local.get $m)) (f32.const 1))))
      (else (local.set $m (f32.sub (local.get $m) (f32.const 1)))))
    (local.set $z (f32.mul (local.get $m) (local.get $m)))
    (local.set $y (f32.const 7.0376836292e-2))
    (local.set $y (f32.sub (f32.mul (local.get $y) (local.get $m)) (f32.const 1.1514610310e-1)))
    (local.set $y (f32.add (f32.mul (local.get $y) (local.get $m)) (f32.const 1.1676998740e-1)))
    (local.set $y (f32.sub (f32.mul (local.get $y) (local.get $m)) (f32.const 1.2420140846e-1)))
    (local.set $y (f32.add (f32.mul (local.get $y) (local.get $m)) (f32.const 1.4249322787e-1)))
    (local.set $y (f32.sub (f32.mul (local.get $y) (local.get $m)) (f32.const 1.6668057665e-1)))
    (local.set $y (f32.add (f32.mul (local.get $y) (local.get $m)) (f32.const 2.0000714765e-1)))
    (local.set $y (f32.sub (f32.mul (local.get $y) (local.get $m)) (f32.const 2.4999993993e-1)))
    (local.set $y (f32.add (f32.mul (local.get $y) (local.get $m)) (f32.const 3.3333331174e-1)))
    (local.set $y (f32.mul (f32.mul (local.get $y) (local.get $m)) (local.get $z)))
    (local.set $fe (f32.convert_i32_s (local.get $e)))
    (local.set $y (f32.add (local.get $y) (f32.mul (local.get $fe) (f32.const -2.12194440e-4))))
    (local.set $y (f32.sub (local.get $y) (f32.mul (local.get $z) (f32.const 0.5))))
    (f32.add (f32.add (local.get $m) (local.get $y)) (f32.mul (local.get $fe) (f32.const 0.693359375))))

  ;; Exported for the unit test of $log.
  (func (export "log") (param $x f32) (result f32) (call $log (local.get $x)))

  ;; The window of slot r: from lo = max(r − chunk, start of r's bucket run) to r itself.
  (func $runStart (param $r i32) (param $seqLen i32) (param $buckets i32) (param $runStart i32) (result i32)
    (if (result i32) (i32.eqz (i32.rem_u (local.get $r) (local.get $seqLen)))
      (then (local.get $r))
      (else
        (select (local.get $runStart) (local.get $r)
          (i32.eq (i32.load (i32.add (local.get $buckets) (i32.shl (local.get $r) (i32.const 2))))
                  (i32.load (i32.add (local.get $buckets) (i32.shl (i32.sub (local.get $r) (i32.const 1)) (i32.const 2)))))))))

  ;; scratch[t] = score of slot lo + t for t < n (the last is r itself, −1e5 added), then −∞ up to
  ;; a multiple of 4, which it returns.
  (func $windowScores (param $qRow i32) (param $keys i32) (param $n i32) (param $dBytes i32) (param $scale f32) (param $scratch i32) (result i32)
    (local $t i32) (local $full i32) (local $at i32)
    (local.set $full (i32.and (local.get $n) (i32.const -4)))
    (block $fullDone
      (loop $groups
        (br_if $fullDone (i32.ge_u (local.get $t) (local.get $full)))
        (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))
          (f32x4.mul (call $dot4 (local.get $qRow) (i32.add (local.get $keys) (i32.mul (local.get $t) (local.get $dBytes))) (local.get $dBytes) (local.get $dBytes))
            (f32x4.splat (local.get $scale))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $groups)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $t) (local.get $n)))
        (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))
          (f32.mul (call $dot (local.get $qRow) (i32.add (local.get $keys) (i32.mul (local.get $t) (local.get $dBytes))) (local.get $dBytes)) (local.get $scale)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tail)))
    (block $padDone
      (loop $pad
        (br_if $padDone (i32.eqz (i32.and (local.get $t) (i32.const 3))))
        (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2))) (f32.const -inf))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $pad)))
    (local.set $at (i32.add (local.get $scratch) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
    (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.const -1e5)))
    (local.get $t))

  ;; attend: out [rows, d + 1] = each row's softmax-weighted values, then its log-sum-exp.
  (func (export "attend")
    (param $rows i32) (param $chunk i32) (param $seqLen i32) (param $d i32) (param $scale f32)
    (param $q i32) (param $k i32) (param $v i32) (param $buckets i32) (param $out i32) (param $scratch i32)
    (local $dBytes i32) (local $r i32) (local $runStart i32) (local $lo i32) (local $n i32) (local $padded i32)
    (local $qRow i32) (local $outRow i32) (local $t i32)
    (local $s v128) (local $mx v128) (local $sum v128) (local $m f32) (local $total f32) (local $p f32) (local $inv f32)
    (local.set $dBytes (i32.shl (local.get $d) (i32.const 2)))
    (loop $rowsLoop
      (local.set $runStart (call $runStart (local.get $r) (local.get $seqLen) (local.get $buckets) (local.get $runStart)))
      (local.set $lo (i32.sub (local.get $r) (local.get $chunk)))
      (if (i32.lt_s (local.get $lo) (local.get $runStart)) (then (local.set $lo (local.get $runStart))))
      (local.set $n (i32.add (i32.sub (local.get $r) (local.get $lo)) (i32.const 1)))
      (local.set $qRow (i32.add (local.get $q) (i32.mul (local.get $r) (local.get $dBytes))))
      (local.set $outRow (i32.add (local.get $out) (i32.mul (local.get $r) (i32.add (local.get $dBytes) (i32.const 4)))))
      (local.set $padded (call $windowScores (local.get $qRow) (i32.add (local.get $k) (i32.mul (local.get $lo) (local.get $dBytes)))
        (local.get $n) (local.get $dBytes) (local.get $scale) (local.get $scratch)))
      ;; max, then e^(s − max) and their sum
      (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $t (i32.const 0))
      (loop $max
        (local.set $mx (f32x4.max (local.get $mx) (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2))))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br_if $max (i32.lt_u (local.get $t) (local.get $padded))))
      (local.set $m (call $hmax (local.get $mx)))
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $t (i32.const 0))
      (loop $exps
        (local.set $s (call $exp4 (f32x4.sub
          (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2))))
          (f32x4.splat (local.get $m)))))
        (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2))) (local.get $s))
        (local.set $sum (f32x4.add (local.get $sum) (local.get $s)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br_if $exps (i32.lt_u (local.get $t) (local.get $padded))))
      (local.set $total (call $hsum (local.get $sum)))
      (local.set $inv (f32.div (f32.const 1) (local.get $total)))
      ;; Σ p_t·v_t / Σ p_t (the self weight underflows to 0 beside any other slot)
      (call $zero (local.get $outRow) (local.get $dBytes))
      (local.set $t (i32.const 0))
      (loop $weighted
        (local.set $p (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))))
        (if (f32.ne (local.get $p) (f32.const 0))
          (then (call $axpy (f32x4.splat (f32.mul (local.get $p) (local.get $inv)))
            (i32.add (local.get $v) (i32.mul (i32.add (local.get $lo) (local.get $t)) (local.get $dBytes)))
            (local.get $outRow) (local.get $dBytes))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $weighted (i32.lt_u (local.get $t) (local.get $n))))
      (f32.store (i32.add (local.get $outRow) (local.get $dBytes)) (f32.add (local.get $m) (call $log (local.get $total))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowsLoop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; attendGrad: from attend's inputs, its output y [rows, d + 1] and the cotangent dy [rows, d + 1]
  ;; (of the weighted values, then of the log-sum-exp), the gradients dq, dk, dv [rows, d]. With
  ;; p_t = e^(s_t − lse): ds_t = p_t·(dy·v_t − dy·y + dlse), dq = scale·Σ ds_t·k_t,
  ;; dk_t += scale·ds_t·q, dv_t += p_t·dy.
  (func (export "attendGrad")
    (param $rows i32) (param $chunk i32) (param $seqLen i32) (param $d i32) (param $scale f32)
    (param $q i32) (param $k i32) (param $v i32) (param $buckets i32) (param $y i32) (param $dy i32)
    (param $dq i32) (param $dk i32) (param $dv i32) (param $scratch i32)
    (local $dBytes i32) (local $stride i32) (local $r i32) (local $runStart i32) (local $lo i32) (local $n i32) (local $padded i32)
    (local $qRow i32) (local $dqRow i32) (local $yRow i32) (local $dyRow i32) (local $t i32) (local $key i32)
    (local $lse f32) (local $shift f32) (local $p f32) (local $ds f32)
    (local.set $dBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $stride (i32.add (local.get $dBytes) (i32.const 4)))
    (call $zero (local.get $dq) (i32.mul (local.get $rows) (local.get $dBytes)))
    (call $zero (local.get $dk) (i32.mul (local.get $rows) (local.get $dBytes)))
    (call $zero (local.get $dv) (i32.mul (local.get $rows) (local.get $dBytes)))
    (loop $rowsLoop
      (local.set $runStart (call $runStart (local.get $r) (local.get $seqLen) (local.get $buckets) (local.get $runStart)))
      (local.set $lo (i32.sub (local.get $r) (local.get $chunk)))
      (if (i32.lt_s (local.get $lo) (local.get $runStart)) (then (local.set $lo (local.get $runStart))))
      (local.set $n (i32.add (i32.sub (local.get $r) (local.get $lo)) (i32.const 1)))
      (local.set $qRow (i32.add (local.get $q) (i32.mul (local.get $r) (local.get $dBytes))))
      (local.set $dqRow (i32.add (local.get $dq) (i32.mul (local.get $r) (local.get $dBytes))))
      (local.set $yRow (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $dyRow (i32.add (local.get $dy) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $lse (f32.load (i32.add (local.get $yRow) (local.get $dBytes))))
      (local.set $shift (f32.sub (f32.load (i32.add (local.get $dyRow) (local.get $dBytes)))
        (call $dot (local.get $dyRow) (local.get $yRow) (local.get $dBytes))))
      (local.set $padded (call $windowScores (local.get $qRow) (i32.add (local.get $k) (i32.mul (local.get $lo) (local.get $dBytes)))
        (local.get $n) (local.get $dBytes) (local.get $scale) (local.get $scratch)))
      (local.set $t (i32.const 0))
      (loop $exps
        (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))
          (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))) (f32x4.splat (local.get $lse)))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br_if $exps (i32.lt_u (local.get $t) (local.get $padded))))
      (local.set $t (i32.const 0))
      (loop $grads
        (local.set $p (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)))))
        (if (f32.ne (local.get $p) (f32.const 0))
          (then
            (local.set $key (i32.mul (i32.add (local.get $lo) (local.get $t)) (local.get $dBytes)))
            (local.set $ds (f32.mul (f32.mul (local.get $p) (local.get $scale))
              (f32.add (call $dot (local.get $dyRow) (i32.add (local.get $v) (local.get $key)) (local.get $dBytes)) (local.get $shift))))
            (call $axpy (f32x4.splat (local.get $ds)) (i32.add (local.get $k) (local.get $key)) (local.get $dqRow) (local.get $dBytes))
            (call $axpy (f32x4.splat (local.get $ds)) (local.get $qRow) (i32.add (local.get $dk) (local.get $key)) (local.get $dBytes))
            (call $axpy (f32x4.splat (local.get $p)) (local.get $dyRow) (i32.add (local.get $dv) (local.get $key)) (local.get $dBytes))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $grads (i32.lt_u (local.get $t) (local.get $n))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowsLoop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; transpose: y [batch, m, n] = x [batch, n, m] with its last two axes swapped, in 4 × 4 blocks
  ;; (four rows of x loaded, turned by shuffles, stored as four rows of y). Needs n % 4 == 0 and
  ;; m % 4 == 0; the caller checks.
  (func (export "transpose") (param $batch i32) (param $n i32) (param $m i32) (param $x i32) (param $y i32)
    (local $rowX i32) (local $rowY i32) (local $i i32) (local $j i32) (local $b i32) (local $src i32) (local $dst i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowX (i32.shl (local.get $m) (i32.const 2)))
    (local.set $rowY (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $batches
        (br_if $done (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $i (i32.const 0))
        (loop $rows
          (local.set $j (i32.const 0))
          (loop $cols
            ;; x rows i … i+3, columns j … j+3
            (local.set $src (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $j)) (i32.const 2))))
            (local.set $r0 (v128.load (local.get $src)))
            (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $rowX))))
            (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $rowX) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $rowX) (i32.const 3)))))
            ;; (a0 b0 a1 b1), (a2 b2 a3 b3) for rows a, b = r0, r1 and c, d = r2, r3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            ;; y rows j … j+3, columns i … i+3
            (local.set $dst (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i)) (i32.const 2))))
            (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $dst) (local.get $rowY)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $dst) (i32.shl (local.get $rowY) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $dst) (i32.mul (local.get $rowY) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br_if $cols (i32.lt_u (local.get $j) (local.get $m))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $rows (i32.lt_u (local.get $i) (local.get $n))))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $rowX))))
        (local.set $y (i32.add (local.get $y) (i32.mul (local.get $m) (local.get $rowY))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batches)))))
