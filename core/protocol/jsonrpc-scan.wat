;; A JSON text checked against JSON's grammar (RFC 8259), and where its top-level object's members `jsonrpc`, `method`,
;; `id` and `params` are: scanRequest's rule (jsonrpc-scan.ts), in WebAssembly, with the plain runs inside strings
;; read sixteen bytes at a time. Compiled to jsonrpc-scan.wasm by `npm run build` (scripts/build-wasm.ts).
;; test/unit/jsonrpc-scan.test.ts holds it to the JavaScript scan, which stays as the reference and the fallback.
;;
;; scan(n) reads memory[0, n), the text, which its caller ends with a NUL at n: no byte of valid JSON is a NUL, so
;; every loop stops there without a bounds check, and a comparison of several bytes that reaches past the text meets
;; it. It returns 1 when the text is one object with at least one member, every member's name a string of plain ASCII
;; (no escapes), every value valid JSON nested at most MAX_DEPTH deep, and nothing but whitespace after it; else 0.
;; With 1 it leaves, for each of the four names (jsonrpc 0, method 1, id 2, params 3), three i32s at OUT + 12 × k:
;; where its value starts (-1 when the name is absent; the last of a repeated name wins), where it ends, and whether it
;; is a plain string (1: a string of ASCII without escapes, its bytes are its value).
(module
  ;; 2 pages: the text (up to 65,536 bytes and its NUL) from 0, the nesting stack and OUT after it.
  (memory (export "memory") 2)
  (global $STACK i32 (i32.const 65600))
  (global $OUT (export "OUT") i32 (i32.const 65680))
  (global $MAX_DEPTH i32 (i32.const 64))
  ;; Set by $string: whether the string just skipped was ASCII without escapes.
  (global $plain (mut i32) (i32.const 1))

  ;; i, or the index past the whitespace from it.
  (func $ws (param $i i32) (result i32)
    (local $c i32)
    (loop $more
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.or
            (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a)))
            (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09))))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $more))))
    (local.get $i))

  (func $hex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  (func $digit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))

  ;; i at an opening quote: the index past the closing one, or -1 when the string is not valid JSON. Sets $plain.
  (func $string (param $i i32) (result i32)
    (local $j i32)
    (local $v v128)
    (local $stop i32)
    (local $high i32)
    (local $at i32)
    (local $c i32)
    (local $e i32)
    (global.set $plain (i32.const 1))
    (local.set $j (i32.add (local.get $i) (i32.const 1)))
    (loop $block
      ;; The first quote, backslash or control byte (the NUL at the end is one) of the next sixteen bytes; bytes of
      ;; 0x80 and above before it make the string not plain.
      (local.set $v (v128.load (local.get $j)))
      (local.set $stop
        (i8x16.bitmask
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
            (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))))))
      (local.set $high (i8x16.bitmask (local.get $v)))
      (if (i32.eqz (local.get $stop))
        (then
          (if (local.get $high) (then (global.set $plain (i32.const 0))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $block)))
      (local.set $at (i32.ctz (local.get $stop)))
      (if (i32.and (local.get $high) (i32.sub (i32.shl (i32.const 1) (local.get $at)) (i32.const 1)))
        (then (global.set $plain (i32.const 0))))
      (local.set $j (i32.add (local.get $j) (local.get $at)))
      (local.set $c (i32.load8_u (local.get $j)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $j) (i32.const 1)))))
      (if (i32.ne (local.get $c) (i32.const 0x5c)) (then (return (i32.const -1)))) ;; a control byte
      (global.set $plain (i32.const 0))
      (local.set $e (i32.load8_u (i32.add (local.get $j) (i32.const 1))))
      (if (i32.eq (local.get $e) (i32.const 0x75))
        (then
          ;; \uXXXX
          (if (i32.eqz
                (i32.and
                  (i32.and
                    (call $hex (i32.load8_u (i32.add (local.get $j) (i32.const 2))))
                    (call $hex (i32.load8_u (i32.add (local.get $j) (i32.const 3)))))
                  (i32.and
                    (call $hex (i32.load8_u (i32.add (local.get $j) (i32.const 4))))
                    (call $hex (i32.load8_u (i32.add (local.get $j) (i32.const 5)))))))
            (then (return (i32.const -1))))
          (local.set $j (i32.add (local.get $j) (i32.const 6)))
          (br $block)))
      ;; \" \\ \/ \b \f \n \r \t
      (if (i32.or
            (i32.or
              (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
              (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
            (i32.or
              (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
              (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74)))))
        (then
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br $block))))
    (i32.const -1))

  ;; i past a run of digits from i (none: i).
  (func $digits (param $i i32) (result i32)
    (loop $more
      (if (call $digit (i32.load8_u (local.get $i)))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $more))))
    (local.get $i))

  ;; i at a number's first byte: the index past it, or -1 (no leading zeros, no bare dot, no plus).
  (func $number (param $i i32) (result i32)
    (local $c i32)
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)) (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x30))
      (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
      (else
        (if (i32.eqz (call $digit (local.get $c))) (then (return (i32.const -1))))
        (local.set $i (call $digits (local.get $i)))))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2e))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (call $digit (i32.load8_u (local.get $i)))) (then (return (i32.const -1))))
        (local.set $i (call $digits (local.get $i)))))
    (local.set $c (i32.or (i32.load8_u (local.get $i)) (i32.const 0x20)))
    (if (i32.eq (local.get $c) (i32.const 0x65)) ;; e or E
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (if (i32.eqz (call $digit (i32.load8_u (local.get $i)))) (then (return (i32.const -1))))
        (local.set $i (call $digits (local.get $i)))))
    (local.get $i))

  ;; i at a member's name: the index of its value (past the colon and whitespace), or -1.
  (func $member (param $i i32) (result i32)
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x22)) (then (return (i32.const -1))))
    (local.set $i (call $string (local.get $i)))
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $i (call $ws (local.get $i)))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const -1))))
    (call $ws (i32.add (local.get $i) (i32.const 1))))

  ;; i at a value's first byte: the index past the value, or -1 when it is not valid JSON or nests deeper than
  ;; MAX_DEPTH. Leaves $plain as $string set it when the value is a string.
  (func $value (param $i i32) (result i32)
    (local $depth i32)
    (local $c i32)
    (local $object i32)
    (loop $start
      ;; A value starts at i.
      (local.set $c (i32.load8_u (local.get $i)))
      (block $ended
        (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
          (then
            (local.set $object (i32.eq (local.get $c) (i32.const 0x7b)))
            (local.set $i (call $ws (i32.add (local.get $i) (i32.const 1))))
            ;; } is { + 2, ] is [ + 2
            (if (i32.eq (i32.load8_u (local.get $i)) (i32.add (local.get $c) (i32.const 2)))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $ended)))
            (if (i32.eq (local.get $depth) (global.get $MAX_DEPTH)) (then (return (i32.const -1))))
            (i32.store8 (i32.add (global.get $STACK) (local.get $depth)) (local.get $object))
            (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
            (if (local.get $object)
              (then
                (local.set $i (call $member (local.get $i)))
                (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))))
            (br $start)))
        (if (i32.eq (local.get $c) (i32.const 0x22))
          (then (local.set $i (call $string (local.get $i))))
          (else
            (if (i32.eq (local.get $c) (i32.const 0x74)) ;; true
              (then
                (if (i32.ne (i32.load (local.get $i)) (i32.const 0x65757274)) (then (return (i32.const -1))))
                (local.set $i (i32.add (local.get $i) (i32.const 4))))
              (else
                (if (i32.eq (local.get $c) (i32.const 0x66)) ;; false
                  (then
                    (if (i32.or
                          (i32.ne (i32.load (local.get $i)) (i32.const 0x736c6166))
                          (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 4))) (i32.const 0x65)))
                      (then (return (i32.const -1))))
                    (local.set $i (i32.add (local.get $i) (i32.const 5))))
                  (else
                    (if (i32.eq (local.get $c) (i32.const 0x6e)) ;; null
                      (then
                        (if (i32.ne (i32.load (local.get $i)) (i32.const 0x6c6c756e)) (then (return (i32.const -1))))
                        (local.set $i (i32.add (local.get $i) (i32.const 4))))
                      (else (local.set $i (call $number (local.get $i)))))))))))
        (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1)))))
      ;; A value ended at i: the next member or element, or the ends of the containers it closes.
      (loop $close
        (if (i32.eqz (local.get $depth)) (then (return (local.get $i))))
        (local.set $i (call $ws (local.get $i)))
        (local.set $object (i32.load8_u (i32.sub (i32.add (global.get $STACK) (local.get $depth)) (i32.const 1))))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 0x2c))
          (then
            (local.set $i (call $ws (i32.add (local.get $i) (i32.const 1))))
            (if (local.get $object)
              (then
                (local.set $i (call $member (local.get $i)))
                (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))))
            (br $start)))
        (if (i32.ne (local.get $c) (select (i32.const 0x7d) (i32.const 0x5d) (local.get $object)))
          (then (return (i32.const -1))))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $close)))
    (unreachable))

  ;; Which of the four names the name in [start, end) is: 0 jsonrpc, 1 method, 2 id, 3 params, -1 another.
  (func $key (param $start i32) (param $end i32) (result i32)
    (local $length i32)
    (local $word i64)
    (local.set $length (i32.sub (local.get $end) (local.get $start)))
    (local.set $word (i64.load (local.get $start)))
    (if (i32.eq (local.get $length) (i32.const 2))
      (then
        (return (select (i32.const 2) (i32.const -1)
          (i32.eq (i32.load16_u (local.get $start)) (i32.const 0x6469)))))) ;; id
    (if (i32.eq (local.get $length) (i32.const 6))
      (then
        (local.set $word (i64.and (local.get $word) (i64.const 0xffffffffffff)))
        (if (i64.eq (local.get $word) (i64.const 0x646f6874656d)) (then (return (i32.const 1)))) ;; method
        (return (select (i32.const 3) (i32.const -1) (i64.eq (local.get $word) (i64.const 0x736d61726170)))))) ;; params
    (if (i32.eq (local.get $length) (i32.const 7))
      (then
        (return (select (i32.const 0) (i32.const -1)
          (i64.eq (i64.and (local.get $word) (i64.const 0xffffffffffffff)) (i64.const 0x6370726e6f736a)))))) ;; jsonrpc
    (i32.const -1))

  (func (export "scan") (param $n i32) (result i32)
    (local $i i32)
    (local $name i32)
    (local $key i32)
    (local $start i32)
    (local $at i32)
    (i32.store (global.get $OUT) (i32.const -1))
    (i32.store (i32.add (global.get $OUT) (i32.const 12)) (i32.const -1))
    (i32.store (i32.add (global.get $OUT) (i32.const 24)) (i32.const -1))
    (i32.store (i32.add (global.get $OUT) (i32.const 36)) (i32.const -1))
    (local.set $i (call $ws (i32.const 0)))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b)) (then (return (i32.const 0))))
    (local.set $i (call $ws (i32.add (local.get $i) (i32.const 1))))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x7d)) (then (return (i32.const 0))))
    (loop $members
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x22)) (then (return (i32.const 0))))
      (local.set $name (i32.add (local.get $i) (i32.const 1)))
      (local.set $i (call $string (local.get $i)))
      ;; An escaped name may spell one of ours.
      (if (i32.or (i32.lt_s (local.get $i) (i32.const 0)) (i32.eqz (global.get $plain))) (then (return (i32.const 0))))
      (local.set $key (call $key (local.get $name) (i32.sub (local.get $i) (i32.const 1))))
      (local.set $i (call $ws (local.get $i)))
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const 0))))
      (local.set $start (call $ws (i32.add (local.get $i) (i32.const 1))))
      (local.set $i (call $value (local.get $start)))
      (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))
      (if (i32.ge_s (local.get $key) (i32.const 0))
        (then
          (local.set $at (i32.add (global.get $OUT) (i32.mul (local.get $key) (i32.const 12))))
          (i32.store (local.get $at) (local.get $start))
          (i32.store offset=4 (local.get $at) (local.get $i))
          (i32.store offset=8 (local.get $at)
            (i32.and (global.get $plain) (i32.eq (i32.load8_u (local.get $start)) (i32.const 0x22))))))
      (local.set $i (call $ws (local.get $i)))
      (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2c))
        (then
          (local.set $i (call $ws (i32.add (local.get $i) (i32.const 1))))
          (br $members))))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7d)) (then (return (i32.const 0))))
    (i32.eq (call $ws (i32.add (local.get $i) (i32.const 1))) (local.get $n)))
)
