;; Where an HTTP/1.1 message head ends, and whether every byte before that end may be in a head: sixteen bytes at a time
;; (WebAssembly SIMD). Compiled to head-scan.wasm by `npm run build` (scripts/build-wasm.ts); loaded by head-scan.ts.
;; The rule is jsHeadEnd's in http1-parse.ts, byte by byte; test/unit/head-scan.test.ts holds the two to each other.
;;
;; headEnd(ptr, len) reads memory[ptr, ptr + len) from a head's first byte and returns
;;   the index just past the first CRLF CRLF, when every byte before it is allowed;
;;   -2 as soon as a byte before any CRLF CRLF is not: a control character other than HTAB, CR and LF, DEL, a CR not
;;      followed by LF, an LF not after a CR;
;;   -1 when neither is known yet (a CR in the last byte waits for the LF that may follow).
;; A block's sixteen bytes become bit masks (bit i for byte i): CR, LF, and the bytes never allowed. Byte pairs across
;; two blocks are carried in the masks' top bits. Blocks past `len` are read (up to 15 bytes, memory is kept for it)
;; and masked off.
(module
  ;; 4 pages: two 64 KiB read buffers and a scratch area of 64 KiB (head-scan.ts), and room for the last block's read.
  (memory (export "memory") 4)
  (func (export "headEnd") (param $ptr i32) (param $len i32) (result i32)
    (local $k i32)       ;; the block's first byte, from ptr
    (local $v v128)      ;; the block
    (local $left i32)    ;; bytes from k to len
    (local $valid i32)   ;; the block's bits that are inside len
    (local $cr i32)
    (local $lf i32)
    (local $bad i32)     ;; below 0x20 (but HTAB, CR, LF) or DEL
    (local $lfx i32)     ;; LF with the previous block's last two LF bits below it: bit i + 2 for byte i
    (local $ends i32)    ;; LF bits with an LF two bytes before: each ends a CRLF CRLF when the pairs are right
    (local $wrong i32)   ;; bytes not allowed where they are
    (local $carry i32)   ;; the previous block's last byte was a CR
    (local $prev i32)    ;; the previous block's last two LF bits
    (local $e i32)
    (block $unknown
      (loop $block
        (br_if $unknown (i32.ge_u (local.get $k) (local.get $len)))
        (local.set $v (v128.load (i32.add (local.get $ptr) (local.get $k))))
        (local.set $left (i32.sub (local.get $len) (local.get $k)))
        (local.set $valid
          (select
            (i32.const 0xffff)
            (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1))
            (i32.ge_u (local.get $left) (i32.const 16))))
        (local.set $cr
          (i32.and (local.get $valid) (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d))))))
        (local.set $lf
          (i32.and (local.get $valid) (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))))
        (local.set $bad
          (i32.and
            (local.get $valid)
            (i8x16.bitmask
              (v128.andnot
                (v128.or
                  (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f))))
                (v128.or
                  (v128.or
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x09))))))))
        (local.set $lfx (i32.or (i32.shl (local.get $lf) (i32.const 2)) (local.get $prev)))
        (local.set $ends
          (i32.shr_u (i32.and (local.get $lfx) (i32.shl (local.get $lfx) (i32.const 2))) (i32.const 2)))
        ;; wrong = bad
        ;;       | an LF whose byte before is no CR (the previous block's last byte for bit 0)
        ;;       | a CR whose next byte in this block is no LF (the last byte's waits for the next block)
        ;;       | bit 0 when the previous block ended in a CR and this one does not start with LF
        (local.set $wrong
          (i32.or
            (i32.or
              (local.get $bad)
              (i32.and
                (local.get $lf)
                (i32.xor (i32.or (i32.shl (local.get $cr) (i32.const 1)) (local.get $carry)) (i32.const -1))))
            (i32.or
              (i32.and
                (i32.and (local.get $cr) (i32.shr_u (local.get $valid) (i32.const 1)))
                (i32.xor (i32.shr_u (local.get $lf) (i32.const 1)) (i32.const -1)))
              (i32.and (local.get $carry) (i32.xor (local.get $lf) (i32.const -1))))))
        ;; The first end counts, and only the bytes up to it (what follows is the body).
        (if (local.get $ends)
          (then
            (local.set $e (i32.ctz (local.get $ends)))
            (if (i32.and (local.get $wrong) (i32.sub (i32.shl (i32.const 2) (local.get $e)) (i32.const 1)))
              (then (return (i32.const -2))))
            (return (i32.add (i32.add (local.get $k) (local.get $e)) (i32.const 1)))))
        (if (local.get $wrong) (then (return (i32.const -2))))
        (local.set $carry (i32.and (i32.shr_u (local.get $cr) (i32.const 15)) (i32.const 1)))
        (local.set $prev (i32.and (i32.shr_u (local.get $lf) (i32.const 14)) (i32.const 3)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $block)))
    (i32.const -1)))
