;; Where an HTTP/1.1 message head ends, whether every byte before that end may be in a head, and where each of its lines
;; ends and has its first colon: one pass, sixteen bytes at a time (WebAssembly SIMD). Compiled to head-scan.wasm by
;; `npm run build` (scripts/build-wasm.ts); loaded by head-scan.ts. The rule is jsHeadEnd's in head-scan.ts, byte by
;; byte; test/unit/head-scan.test.ts holds the two to each other.
;;
;; headEnd(ptr, len, table, maxLines) reads memory[ptr, ptr + len) from a head's first byte and returns
;;   the index just past the first CRLF CRLF, when every byte before it is allowed;
;;   -2 as soon as a byte before any CRLF CRLF is not: a control character other than HTAB, CR and LF, DEL, a CR not
;;      followed by LF, an LF not after a CR;
;;   -3 when the head has more than maxLines lines;
;;   -1 when none of these is known yet (a CR in the last byte waits for the LF that may follow).
;; With the index it leaves in the table (i32s): the number of lines, the blank line included, then for each line the
;; index of its first colon (0 when it has none) and the index of its LF.
;;
;; A block's sixteen bytes become bit masks (bit i for byte i): CR, LF, colon, and the bytes never allowed. Byte pairs
;; across two blocks are carried in the masks' top bits. Blocks past `len` are read (up to 15 bytes, memory is kept for
;; it) and masked off.
(module
  ;; 4 pages: two 64 KiB read buffers, a scratch area of 64 KiB and the table (head-scan.ts lays them out).
  (memory (export "memory") 4)
  (func (export "headEnd") (param $ptr i32) (param $len i32) (param $table i32) (param $maxLines i32)
    (param $match i32) (param $slots i32) (result i32)
    (local $k i32)       ;; the block's first byte, from ptr
    (local $v v128)      ;; the block
    (local $left i32)    ;; bytes from k to len
    (local $valid i32)   ;; the block's bits that are inside len
    (local $cr i32)
    (local $lf i32)
    (local $colons i32)
    (local $bad i32)     ;; below 0x20 (but HTAB, CR, LF) or DEL
    (local $lfx i32)     ;; LF with the previous block's last two LF bits below it: bit i + 2 for byte i
    (local $ends i32)    ;; LF bits with an LF two bytes before: each ends a CRLF CRLF when the pairs are right
    (local $wrong i32)   ;; bytes not allowed where they are
    (local $carry i32)   ;; the previous block's last byte was a CR
    (local $prev i32)    ;; the previous block's last two LF bits
    (local $limit i32)   ;; the bits up to the head's end, when it is in this block
    (local $events i32)  ;; LF and colon bits still to note in the table
    (local $p i32)
    (local $lines i32)   ;; lines noted
    (local $colon i32)   ;; the line's first colon so far, 0 for none
    (local $at i32)
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
        (local.set $colons
          (i32.and (local.get $valid) (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x3a))))))
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
        (local.set $limit (i32.const -1))
        (if (local.get $ends)
          (then (local.set $limit (i32.sub (i32.shl (i32.const 2) (i32.ctz (local.get $ends))) (i32.const 1)))))
        (if (i32.and (local.get $wrong) (local.get $limit)) (then (return (i32.const -2))))
        ;; The lines' LFs and first colons, in order.
        (local.set $events (i32.and (i32.or (local.get $lf) (local.get $colons)) (local.get $limit)))
        (block $noted
          (loop $event
            (br_if $noted (i32.eqz (local.get $events)))
            (local.set $p (i32.ctz (local.get $events)))
            (if (i32.and (local.get $lf) (i32.shl (i32.const 1) (local.get $p)))
              (then
                (if (i32.ge_u (local.get $lines) (local.get $maxLines)) (then (return (i32.const -3))))
                (local.set $at (i32.add (local.get $table) (i32.shl (local.get $lines) (i32.const 3))))
                (i32.store offset=4 (local.get $at) (local.get $colon))
                (i32.store offset=8 (local.get $at) (i32.add (local.get $k) (local.get $p)))
                (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
                (local.set $colon (i32.const 0)))
              (else
                (if (i32.eqz (local.get $colon))
                  (then (local.set $colon (i32.add (local.get $k) (local.get $p)))))))
            (local.set $events (i32.and (local.get $events) (i32.sub (local.get $events) (i32.const 1))))
            (br $event)))
        (if (local.get $ends)
          (then
            (i32.store (local.get $table) (local.get $lines))
            (call $names (local.get $ptr) (local.get $table) (local.get $lines) (local.get $match) (local.get $slots))
            (return (i32.add (i32.add (local.get $k) (i32.ctz (local.get $ends))) (i32.const 1)))))
        (local.set $carry (i32.and (i32.shr_u (local.get $cr) (i32.const 15)) (i32.const 1)))
        (local.set $prev (i32.and (i32.shr_u (local.get $lf) (i32.const 14)) (i32.const 3)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $block)))
    (i32.const -1))

  ;; The field names of a complete head matched against the names its parser has met (slots: 256 of 32 bytes, the
  ;; name in lowercase, then 256 lengths, 0 for none): for line k, i32 k of `match` is the slot whose name it has in any
  ;; case, or -1 — a name longer than 32 bytes, one not met before, a line with no colon or nothing before it. The slot
  ;; is picked as the parser picks it (from the length and the first and last bytes, each OR 0x20), and a hit is all the
  ;; name's bytes equal to the slot's once A to Z are lowered: the parser then takes the slot's name without cutting and
  ;; comparing its own.
  (func $names (param $ptr i32) (param $table i32) (param $lines i32) (param $match i32) (param $slots i32)
    (local $k i32)
    (local $start i32)
    (local $colon i32)
    (local $length i32)
    (local $slot i32)
    (local $found i32)
    (local $a v128)
    (local $b v128)
    (local $want i64)
    (local.set $k (i32.const 1))
    (block $done
      (loop $line
        ;; Lines 1 to lines - 2: the last is the blank line.
        (br_if $done (i32.ge_u (i32.add (local.get $k) (i32.const 1)) (local.get $lines)))
        (local.set $found (i32.const -1))
        ;; Line k starts past the LF of line k - 1; its first colon is at table[1 + 2k].
        (local.set $start
          (i32.add (i32.load (i32.add (local.get $table) (i32.shl (local.get $k) (i32.const 3)))) (i32.const 1)))
        (local.set $colon (i32.load offset=4 (i32.add (local.get $table) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $length (i32.sub (local.get $colon) (local.get $start)))
        (if (i32.and (i32.gt_s (local.get $length) (i32.const 0)) (i32.le_s (local.get $length) (i32.const 32)))
          (then
            (local.set $slot
              (i32.and
                (i32.add
                  (i32.add
                    (i32.mul (local.get $length) (i32.const 7))
                    (i32.mul
                      (i32.or (i32.load8_u (i32.add (local.get $ptr) (local.get $start))) (i32.const 0x20))
                      (i32.const 3)))
                  (i32.or (i32.load8_u (i32.add (local.get $ptr) (i32.sub (local.get $colon) (i32.const 1)))) (i32.const 0x20)))
                (i32.const 255)))
            (if (i32.eq (i32.load8_u (i32.add (i32.add (local.get $slots) (i32.const 8192)) (local.get $slot))) (local.get $length))
              (then
                (local.set $a (call $lower (v128.load (i32.add (local.get $ptr) (local.get $start)))))
                (local.set $b (call $lower (v128.load offset=16 (i32.add (local.get $ptr) (local.get $start)))))
                (local.set $want (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $length))) (i64.const 1)))
                (if (i64.eq
                      (i64.and
                        (i64.extend_i32_u
                          (i32.or
                            (i8x16.bitmask
                              (i8x16.eq (local.get $a) (v128.load (i32.add (local.get $slots) (i32.shl (local.get $slot) (i32.const 5))))))
                            (i32.shl
                              (i8x16.bitmask
                                (i8x16.eq
                                  (local.get $b)
                                  (v128.load offset=16 (i32.add (local.get $slots) (i32.shl (local.get $slot) (i32.const 5))))))
                              (i32.const 16))))
                        (local.get $want))
                      (local.get $want))
                  (then (local.set $found (local.get $slot))))))))
        (i32.store (i32.add (local.get $match) (i32.shl (local.get $k) (i32.const 2))) (local.get $found))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $line))))

  ;; A to Z lowered, every other byte as it is.
  (func $lower (param $v v128) (result v128)
    (v128.or
      (local.get $v)
      (v128.and
        (i8x16.lt_u (i8x16.sub (local.get $v) (i8x16.splat (i32.const 0x41))) (i8x16.splat (i32.const 26)))
        (i8x16.splat (i32.const 0x20)))))
)
