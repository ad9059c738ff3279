;; AES-IGE (docs/protocol.md §2.3) in WebAssembly: the same table-driven cipher as client/js/aes.js, with the IGE
;; chaining around it, c_i = E(m_i xor c_{i-1}) xor m_{i-1}. client/wasm/build.mjs assembles it; client/js/aes-wasm.js
;; loads it and writes the tables, round keys, IV and input into memory before each call (docs/browser-crypto.md).
;;
;; Byte order. Every table entry, round key and data block is written as big-endian bytes, as FIPS-197 lays the
;; state out (column-major, row 0 first); WebAssembly loads little-endian, so a loaded column has row 0 in its low
;; byte. The lookups below pick the rows accordingly: row 0 is bits 0-7, row 3 bits 24-31.
;;
;; One loop serves both directions. The inverse cipher's ShiftRows takes row r from column j - r where the forward
;; one takes it from column j + r; loading every 16-byte block (input, IV halves, round keys) with columns 1 and 3
;; exchanged turns the first into the second, so decryption is this loop with offsets $c1 = 12 and $c3 = 4, the
;; inverse tables and the inverse S-box.
(module
  (memory (export "memory") 1)

  ;; The layout: the tables of the direction in use (4 KiB at address 0, so the hot loop's lookups need no base
  ;; register), the four forward tables (Te0..Te3, 1 KiB each) and the four inverse ones (Td0..Td3), the S-box and
  ;; the inverse S-box, the round keys (at most 15 x 16 bytes, AES-256), the 32-byte IV (c_0 then m_0), then the data.
  (global $tables (export "tables") i32 (i32.const 4096))
  (global $sboxes (export "sboxes") i32 (i32.const 12288))
  (global $roundKeys (export "roundKeys") i32 (i32.const 12800))
  (global $iv (export "iv") i32 (i32.const 13056))
  (global $data (export "data") i32 (i32.const 13312))
  ;; Whose tables are at address 0: 0 forward, 1 inverse, -1 none yet.
  (global $active (mut i32) (i32.const -1))

  ;; IGE over $length bytes (whole blocks) at "data", in place. $decrypt is 0 or 1; $rounds is 10 or 14, the round
  ;; keys (encryption, or the equivalent inverse cipher's for decryption) are at "roundKeys".
  (func (export "ige") (param $decrypt i32) (param $rounds i32) (param $length i32)
    (local $box i32) (local $c1 i32) (local $c3 i32)
    (local $o i32) (local $end i32) (local $k i32) (local $lastKey i32)
    ;; $x is XORed into the cipher's input, $y into its output: c_{i-1} and m_{i-1} when encrypting, m_{i-1} and
    ;; c_{i-1} when decrypting. $p is the block being read, $s the cipher's state.
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $y0 i32) (local $y1 i32) (local $y2 i32) (local $y3 i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a i32) (local $b i32) (local $c i32)
    ;; One 4 KiB copy when the direction changes, against 16 table lookups per block and round.
    (if (i32.ne (local.get $decrypt) (global.get $active))
      (then
        (memory.copy (i32.const 0) (i32.add (global.get $tables) (i32.shl (local.get $decrypt) (i32.const 12))) (i32.const 4096))
        (global.set $active (local.get $decrypt))))
    (local.set $box (i32.add (global.get $sboxes) (i32.shl (local.get $decrypt) (i32.const 8))))
    (local.set $c1 (i32.add (i32.const 4) (i32.shl (local.get $decrypt) (i32.const 3))))
    (local.set $c3 (i32.sub (i32.const 12) (i32.shl (local.get $decrypt) (i32.const 3))))

    ;; The IV holds c_0 then m_0.
    (local.set $o (i32.add (global.get $iv) (i32.shl (local.get $decrypt) (i32.const 4))))
    (local.set $x0 (i32.load (local.get $o)))
    (local.set $x1 (i32.load (i32.add (local.get $o) (local.get $c1))))
    (local.set $x2 (i32.load offset=8 (local.get $o)))
    (local.set $x3 (i32.load (i32.add (local.get $o) (local.get $c3))))
    (local.set $o (i32.add (global.get $iv) (i32.sub (i32.const 16) (i32.shl (local.get $decrypt) (i32.const 4)))))
    (local.set $y0 (i32.load (local.get $o)))
    (local.set $y1 (i32.load (i32.add (local.get $o) (local.get $c1))))
    (local.set $y2 (i32.load offset=8 (local.get $o)))
    (local.set $y3 (i32.load (i32.add (local.get $o) (local.get $c3))))

    (local.set $lastKey (i32.add (global.get $roundKeys) (i32.shl (local.get $rounds) (i32.const 4))))
    (local.set $o (global.get $data))
    (local.set $end (i32.add (global.get $data) (local.get $length)))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $p0 (i32.load (local.get $o)))
        (local.set $p1 (i32.load (i32.add (local.get $o) (local.get $c1))))
        (local.set $p2 (i32.load offset=8 (local.get $o)))
        (local.set $p3 (i32.load (i32.add (local.get $o) (local.get $c3))))
        ;; The first AddRoundKey, with the IGE input XOR.
        (local.set $s0 (i32.xor (i32.xor (local.get $p0) (local.get $x0)) (i32.load (global.get $roundKeys))))
        (local.set $s1 (i32.xor (i32.xor (local.get $p1) (local.get $x1)) (i32.load (i32.add (global.get $roundKeys) (local.get $c1)))))
        (local.set $s2 (i32.xor (i32.xor (local.get $p2) (local.get $x2)) (i32.load offset=8 (global.get $roundKeys))))
        (local.set $s3 (i32.xor (i32.xor (local.get $p3) (local.get $x3)) (i32.load (i32.add (global.get $roundKeys) (local.get $c3)))))
        (local.set $k (i32.add (global.get $roundKeys) (i32.const 16)))
        ;; The inner rounds, one output column per statement: SubBytes, ShiftRows and MixColumns as one lookup per
        ;; row in the tables at address 0 (row r of column j comes from column j + r), then AddRoundKey. Written out rather
        ;; than a helper function: Node 20's V8 does not inline WebAssembly calls, and ran the helper version at 0.6x.
        (loop $round
          (local.set $a (i32.xor (i32.xor
            (i32.xor
              (i32.load offset=0 (i32.and (i32.shl (local.get $s0) (i32.const 2)) (i32.const 1020)))
              (i32.load offset=1024 (i32.and (i32.shr_u (local.get $s1) (i32.const 6)) (i32.const 1020))))
            (i32.xor
              (i32.load offset=2048 (i32.and (i32.shr_u (local.get $s2) (i32.const 14)) (i32.const 1020)))
              (i32.load offset=3072 (i32.and (i32.shr_u (local.get $s3) (i32.const 22)) (i32.const 1020)))))
            (i32.load (local.get $k))))
          (local.set $b (i32.xor (i32.xor
            (i32.xor
              (i32.load offset=0 (i32.and (i32.shl (local.get $s1) (i32.const 2)) (i32.const 1020)))
              (i32.load offset=1024 (i32.and (i32.shr_u (local.get $s2) (i32.const 6)) (i32.const 1020))))
            (i32.xor
              (i32.load offset=2048 (i32.and (i32.shr_u (local.get $s3) (i32.const 14)) (i32.const 1020)))
              (i32.load offset=3072 (i32.and (i32.shr_u (local.get $s0) (i32.const 22)) (i32.const 1020)))))
            (i32.load (i32.add (local.get $k) (local.get $c1)))))
          (local.set $c (i32.xor (i32.xor
            (i32.xor
              (i32.load offset=0 (i32.and (i32.shl (local.get $s2) (i32.const 2)) (i32.const 1020)))
              (i32.load offset=1024 (i32.and (i32.shr_u (local.get $s3) (i32.const 6)) (i32.const 1020))))
            (i32.xor
              (i32.load offset=2048 (i32.and (i32.shr_u (local.get $s0) (i32.const 14)) (i32.const 1020)))
              (i32.load offset=3072 (i32.and (i32.shr_u (local.get $s1) (i32.const 22)) (i32.const 1020)))))
            (i32.load offset=8 (local.get $k))))
          (local.set $s3 (i32.xor (i32.xor
            (i32.xor
              (i32.load offset=0 (i32.and (i32.shl (local.get $s3) (i32.const 2)) (i32.const 1020)))
              (i32.load offset=1024 (i32.and (i32.shr_u (local.get $s0) (i32.const 6)) (i32.const 1020))))
            (i32.xor
              (i32.load offset=2048 (i32.and (i32.shr_u (local.get $s1) (i32.const 14)) (i32.const 1020)))
              (i32.load offset=3072 (i32.and (i32.shr_u (local.get $s2) (i32.const 22)) (i32.const 1020)))))
            (i32.load (i32.add (local.get $k) (local.get $c3)))))
          (local.set $s0 (local.get $a))
          (local.set $s1 (local.get $b))
          (local.set $s2 (local.get $c))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $round (i32.lt_u (local.get $k) (local.get $lastKey))))
        ;; The last round (S-box bytes from $box, no MixColumns), then the IGE output XOR: this block's result, which
        ;; is also next block's input XOR (c_i encrypting, m_i decrypting).
        (local.set $x0 (i32.xor (local.get $y0) (i32.xor (i32.or
          (i32.or
            (i32.load8_u (i32.add (local.get $box) (i32.and (local.get $s0) (i32.const 255))))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s1) (i32.const 8)) (i32.const 255)))) (i32.const 8)))
          (i32.or
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s2) (i32.const 16)) (i32.const 255)))) (i32.const 16))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.shr_u (local.get $s3) (i32.const 24)))) (i32.const 24))))
          (i32.load (local.get $k)))))
        (local.set $x1 (i32.xor (local.get $y1) (i32.xor (i32.or
          (i32.or
            (i32.load8_u (i32.add (local.get $box) (i32.and (local.get $s1) (i32.const 255))))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s2) (i32.const 8)) (i32.const 255)))) (i32.const 8)))
          (i32.or
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s3) (i32.const 16)) (i32.const 255)))) (i32.const 16))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.shr_u (local.get $s0) (i32.const 24)))) (i32.const 24))))
          (i32.load (i32.add (local.get $k) (local.get $c1))))))
        (local.set $x2 (i32.xor (local.get $y2) (i32.xor (i32.or
          (i32.or
            (i32.load8_u (i32.add (local.get $box) (i32.and (local.get $s2) (i32.const 255))))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s3) (i32.const 8)) (i32.const 255)))) (i32.const 8)))
          (i32.or
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s0) (i32.const 16)) (i32.const 255)))) (i32.const 16))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.shr_u (local.get $s1) (i32.const 24)))) (i32.const 24))))
          (i32.load offset=8 (local.get $k)))))
        (local.set $x3 (i32.xor (local.get $y3) (i32.xor (i32.or
          (i32.or
            (i32.load8_u (i32.add (local.get $box) (i32.and (local.get $s3) (i32.const 255))))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s0) (i32.const 8)) (i32.const 255)))) (i32.const 8)))
          (i32.or
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.and (i32.shr_u (local.get $s1) (i32.const 16)) (i32.const 255)))) (i32.const 16))
            (i32.shl (i32.load8_u (i32.add (local.get $box) (i32.shr_u (local.get $s2) (i32.const 24)))) (i32.const 24))))
          (i32.load (i32.add (local.get $k) (local.get $c3))))))
        (i32.store (local.get $o) (local.get $x0))
        (i32.store (i32.add (local.get $o) (local.get $c1)) (local.get $x1))
        (i32.store offset=8 (local.get $o) (local.get $x2))
        (i32.store (i32.add (local.get $o) (local.get $c3)) (local.get $x3))
        ;; This block's input is next block's output XOR (m_{i-1} encrypting, c_{i-1} decrypting).
        (local.set $y0 (local.get $p0))
        (local.set $y1 (local.get $p1))
        (local.set $y2 (local.get $p2))
        (local.set $y3 (local.get $p3))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $block)))))
