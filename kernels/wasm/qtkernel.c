/* qtcore's state-vector kernel in C, compiled to WebAssembly with SIMD128.
 *
 * A state is 2**n complex doubles (re, im interleaved; qubit q = bit q of the index) in this
 * module's own memory. Python (qtcore.sim._kernel_wasm) owns the handles: it allocates with
 * qt_alloc, writes matrices and tables next to the state, calls one function per operation
 * and copies out only what it needs. No libc, no Emscripten: the same file builds natively
 * (ctypes, for CPython's tests) with malloc as the allocator.
 *
 * Every complex product is (ar*xr - ai*xi, ar*xi + ai*xr) and every sum runs in the order
 * the pure-Python kernel uses where that is cheap, with no fused multiply-adds
 * (-ffp-contract=off): a one-qubit gate gives the pure-Python kernel's bits exactly.
 */
#include <stddef.h>
#include <stdint.h>

typedef double v2d __attribute__((vector_size(16), aligned(16)));
typedef uint32_t u32;

#define EXPORT __attribute__((visibility("default")))
#define MAX_K 12                 /* widest matrix, diagonal or table applied in one call */
#define EXACT_MAX_QUBITS 12      /* Bloch vectors use exactly rounded sums up to this width */

static inline v2d cmul(v2d a, v2d x) {
  /* a * x for complex a = (ar, ai), x = (xr, xi) */
  v2d ar = {a[0], a[0]};
  v2d ai = {-a[1], a[1]};
  v2d xs = __builtin_shufflevector(x, x, 1, 0);
  return ar * x + ai * xs;
}

static inline double dabs(double x) { return x < 0 ? -x : x; }

/* ------------------------------------------------------------------ memory */
#ifdef __wasm__
extern unsigned char __heap_base;

typedef struct block {
  size_t size; /* bytes after the header */
  size_t free;
  struct block *next;
  size_t pad;
} block;

static block *first_block = 0;
static size_t heap_end = 0;

static int grow(size_t bytes) {
  size_t pages = (bytes + 65535) / 65536;
  if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  heap_end += pages * 65536;
  return 1;
}

EXPORT void *qt_alloc(u32 nbytes) {
  size_t size = ((size_t)nbytes + 15) & ~(size_t)15;
  if (heap_end == 0) heap_end = __builtin_wasm_memory_size(0) * 65536;
  block *b = first_block, *last = 0;
  for (; b; last = b, b = b->next) {
    if (b->free && b->size >= size) {
      if (b->size >= size + sizeof(block) + 4096) { /* split off the rest */
        block *rest = (block *)((unsigned char *)(b + 1) + size);
        rest->size = b->size - size - sizeof(block);
        rest->free = 1;
        rest->next = b->next;
        b->next = rest;
        b->size = size;
      }
      b->free = 0;
      return b + 1;
    }
  }
  size_t start = last ? (size_t)((unsigned char *)(last + 1) + last->size)
                      : (((size_t)&__heap_base + 15) & ~(size_t)15);
  if (last && last->free) { /* extend the free block at the end instead of adding one */
    size_t need = (size_t)(last + 1) + size;
    if (need > heap_end && !grow(need - heap_end)) return 0;
    last->size = size;
    last->free = 0;
    return last + 1;
  }
  size_t need = start + sizeof(block) + size;
  if (need < start) return 0;
  if (need > heap_end && !grow(need - heap_end)) return 0;
  b = (block *)start;
  b->size = size;
  b->free = 0;
  b->next = 0;
  if (last) last->next = b; else first_block = b;
  return b + 1;
}

EXPORT void qt_free(void *p) {
  if (!p) return;
  block *b = (block *)p - 1;
  b->free = 1;
  for (block *c = first_block; c; c = c->next) { /* merge runs of free neighbours */
    while (c->free && c->next && c->next->free) {
      c->size += sizeof(block) + c->next->size;
      c->next = c->next->next;
    }
  }
}

/* Bytes this module can still grow to (wasm32: 4 GiB address space, 65536 pages). */
EXPORT double qt_memory_bytes(void) { return (double)__builtin_wasm_memory_size(0) * 65536.0; }
#else
#include <stdlib.h>
EXPORT void *qt_alloc(u32 nbytes) { return aligned_alloc(16, ((size_t)nbytes + 15) & ~(size_t)15); }
EXPORT void qt_free(void *p) { free(p); }
EXPORT double qt_memory_bytes(void) { return 0.0; }
#endif

/* ------------------------------------------------------------------ index helpers */
/* The amplitudes an operation touches: every index whose fixed bits (targets and controls)
 * are 0 on the targets and 1 on the controls. They are enumerated as runs of 2**p0
 * consecutive indices (p0 = the lowest fixed bit, below which every bit is free): one
 * bit insertion per run, so a controlled or diagonal pass reads only the subspace it
 * changes (a CX half the state, a CP a quarter) at the speed of a contiguous sweep. */
typedef struct {
  int nfixed;
  u32 fixed[64];   /* sorted bit positions held fixed (targets and controls) */
  size_t cmask;    /* control bits, set in every base */
  size_t count;    /* number of bases */
  size_t run;      /* 2**p0: bases come in runs of this many consecutive indices ... */
  size_t mid;      /* ... and 2**(p1 - p0 - 1) such runs 2**(p0 + 1) apart ... */
  size_t high;     /* ... at each subset of these free bits (above p1) */
  size_t free;     /* every free bit */
} bases;

static void make_bases(bases *b, u32 n, const u32 *targets, u32 k, size_t cmask) {
  size_t all = cmask;
  for (u32 j = 0; j < k; j++) all |= (size_t)1 << targets[j];
  b->nfixed = 0;
  for (u32 q = 0; q < n; q++)
    if (all >> q & 1) b->fixed[b->nfixed++] = q;
  b->cmask = cmask;
  b->count = (size_t)1 << (n - b->nfixed);
  b->run = b->nfixed ? (size_t)1 << b->fixed[0] : b->count;
  b->mid = b->nfixed >= 2 ? (size_t)1 << (b->fixed[1] - b->fixed[0] - 1)
                          : b->count / b->run;
  b->high = b->nfixed >= 2
                ? ((((size_t)1 << n) - 1) & ~all) & ~(((size_t)2 << b->fixed[1]) - 1)
                : 0;
  b->free = (((size_t)1 << n) - 1) & ~all;
}

/* The i-th base (i counts the free bits): zeros inserted at the fixed positions. */
static inline size_t base_at(const bases *b, size_t i) {
  for (int j = 0; j < b->nfixed; j++) {
    u32 p = b->fixed[j];
    i = ((i >> p) << (p + 1)) | (i & (((size_t)1 << p) - 1));
  }
  return i | b->cmask;
}

/* for (each base `at`) body. Bases come as runs of b.run consecutive indices (the free
 * bits below the lowest fixed bit p0), repeated b.mid times at a stride of 2 * b.run (the
 * free bits between p0 and the next fixed bit p1), at every subset of the free bits above
 * p1 (b.high), stepped to with one subtraction and one mask (x = (x - high) & high): no
 * per-base bit insertion. Runs shorter than 4 (an operation on qubit 0 or 1) go base by
 * base, each the next subset of the free bits the same way, so a CX on qubits 0 and 1
 * costs little more per amplitude than one on high qubits. */
#define FOR_BASES(b, at, ...)                                                    \
  {                                                                              \
  if ((b).run < 4) {                                                             \
    for (size_t run_x = 0;;) {                                                   \
      size_t at = run_x | (b).cmask;                                             \
      __VA_ARGS__                                                                \
      run_x = (run_x - (b).free) & (b).free;                                     \
      if (!run_x) break;                                                         \
    }                                                                            \
  } else                                                                         \
  for (size_t run_hi = 0;;) {                                                    \
    size_t run_base = run_hi | (b).cmask;                                        \
    for (size_t run_m = 0; run_m < (b).mid; run_m++) {                           \
      size_t run_at = run_base + run_m * ((b).run << 1);                         \
      for (size_t run_j = 0; run_j < (b).run; run_j++) {                         \
        size_t at = run_at + run_j;                                              \
        __VA_ARGS__                                                              \
      }                                                                          \
    }                                                                            \
    run_hi = (run_hi - (b).high) & (b).high;                                     \
    if (!run_hi) break;                                                          \
  }                                                                              \
  }

static void make_offsets(size_t *offs, const u32 *targets, u32 k) {
  for (size_t idx = 0; idx < ((size_t)1 << k); idx++) {
    size_t o = 0;
    for (u32 j = 0; j < k; j++) o |= ((idx >> j) & 1) << targets[j];
    offs[idx] = o;
  }
}

static v2d scratch_in[1 << MAX_K];
static size_t scratch_offs[1 << MAX_K];
static u32 scratch_moves[1 << MAX_K];

/* ------------------------------------------------------------------ gates */
/* A real 2x2 (H, RY, ...): x * (r, r) is cmul((r, 0), x) up to the sign of a zero result
 * (cmul adds a signed zero product), with half the multiplications. Qubit 0 (stride 1)
 * runs as one flat loop over the pairs. */
static void dense1_real(v2d *s, u32 n, const v2d *m, u32 q) {
  v2d a = {m[0][0], m[0][0]}, b = {m[1][0], m[1][0]};
  v2d c = {m[2][0], m[2][0]}, d = {m[3][0], m[3][0]};
  size_t stride = (size_t)1 << q, size = (size_t)1 << n;
  if (stride == 1) {
    for (size_t i = 0; i < size; i += 2) {
      v2d u = s[i], v = s[i + 1];
      s[i] = a * u + b * v;
      s[i + 1] = c * u + d * v;
    }
    return;
  }
  for (size_t start = 0; start < size; start += stride << 1) {
    v2d *lo = s + start, *hi = lo + stride;
    for (size_t i = 0; i < stride; i++) {
      v2d u = lo[i], v = hi[i];
      lo[i] = a * u + b * v;
      hi[i] = c * u + d * v;
    }
  }
}

static void dense1(v2d *s, u32 n, const v2d *m, u32 q) {
  if (m[0][1] == 0.0 && m[1][1] == 0.0 && m[2][1] == 0.0 && m[3][1] == 0.0) {
    dense1_real(s, n, m, q);
    return;
  }
  v2d a = m[0], b = m[1], c = m[2], d = m[3];
  size_t stride = (size_t)1 << q, size = (size_t)1 << n;
  if (stride == 1) {
    for (size_t i = 0; i < size; i += 2) {
      v2d u = s[i], v = s[i + 1];
      s[i] = cmul(a, u) + cmul(b, v);
      s[i + 1] = cmul(c, u) + cmul(d, v);
    }
    return;
  }
  for (size_t start = 0; start < size; start += stride << 1) {
    v2d *lo = s + start, *hi = lo + stride;
    for (size_t i = 0; i < stride; i++) {
      v2d u = lo[i], v = hi[i];
      lo[i] = cmul(a, u) + cmul(b, v);
      hi[i] = cmul(c, u) + cmul(d, v);
    }
  }
}

/* s <- M s on `targets` (targets[0] = bit 0 of M's index), where every control bit is 1.
 * Row sums run left to right (row[0] x[0] + row[1] x[1] + ...) whatever the width. */
EXPORT void qt_apply_dense(v2d *s, u32 n, const v2d *m, const u32 *targets, u32 k, u32 cmask) {
  if (k == 1 && cmask == 0) {
    dense1(s, n, m, targets[0]);
    return;
  }
  bases b;
  make_bases(&b, n, targets, k, cmask);
  if (k == 1) {
    v2d m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3];
    size_t o1 = (size_t)1 << targets[0];
    FOR_BASES(b, at, {
      v2d u = s[at], v = s[at + o1];
      s[at] = cmul(m0, u) + cmul(m1, v);
      s[at + o1] = cmul(m2, u) + cmul(m3, v);
    })
    return;
  }
  if (k == 2) {
    size_t o1 = (size_t)1 << targets[0], o2 = (size_t)1 << targets[1], o3 = o1 | o2;
    FOR_BASES(b, at, {
      v2d x0 = s[at], x1 = s[at + o1], x2 = s[at + o2], x3 = s[at + o3];
      s[at] = cmul(m[0], x0) + cmul(m[1], x1) + cmul(m[2], x2) + cmul(m[3], x3);
      s[at + o1] = cmul(m[4], x0) + cmul(m[5], x1) + cmul(m[6], x2) + cmul(m[7], x3);
      s[at + o2] = cmul(m[8], x0) + cmul(m[9], x1) + cmul(m[10], x2) + cmul(m[11], x3);
      s[at + o3] = cmul(m[12], x0) + cmul(m[13], x1) + cmul(m[14], x2) + cmul(m[15], x3);
    })
    return;
  }
  size_t dim = (size_t)1 << k;
  size_t *offs = scratch_offs;
  make_offsets(offs, targets, k);
  v2d *x = scratch_in;
  FOR_BASES(b, at, {
    v2d *base = s + at;
    for (size_t c = 0; c < dim; c++) x[c] = base[offs[c]];
    for (size_t r = 0; r < dim; r++) {
      const v2d *row = m + r * dim;
      v2d acc = cmul(row[0], x[0]);
      for (size_t c = 1; c < dim; c++) acc += cmul(row[c], x[c]);
      base[offs[r]] = acc;
    }
  })
}

/* s <- diag(d) s on `targets`, where every control bit is 1; entries equal to 1 are skipped,
 * so a controlled phase touches only the amplitudes it changes. */
EXPORT void qt_apply_diagonal(v2d *s, u32 n, const v2d *d, const u32 *targets, u32 k,
                              u32 cmask) {
  size_t dim = (size_t)1 << k;
  size_t *offs = scratch_offs;
  make_offsets(offs, targets, k);
  if (k == 1 && cmask == 0) { /* contiguous half blocks, both halves in one sweep */
    v2d d0 = d[0], d1 = d[1];
    int one0 = d0[0] == 1.0 && d0[1] == 0.0, one1 = d1[0] == 1.0 && d1[1] == 0.0;
    size_t stride = (size_t)1 << targets[0], size = (size_t)1 << n;
    for (size_t start = 0; start < size; start += stride << 1) {
      v2d *lo = s + start, *hi = lo + stride;
      if (!one0)
        for (size_t i = 0; i < stride; i++) lo[i] = cmul(d0, lo[i]);
      if (!one1)
        for (size_t i = 0; i < stride; i++) hi[i] = cmul(d1, hi[i]);
    }
    return;
  }
  /* each entry that is not 1 on its own subspace: its target bits join the fixed bits */
  for (size_t j = 0; j < dim; j++) {
    if (d[j][0] == 1.0 && d[j][1] == 0.0) continue;
    v2d dj = d[j];
    bases b;
    make_bases(&b, n, targets, k, cmask | offs[j]);
    FOR_BASES(b, at, { s[at] = cmul(dj, s[at]); })
  }
}

/* new[base + offs[i]] = old[base + offs[src[i]]] on `targets`, where every control bit is 1;
 * only the entries that move are read and written. */
EXPORT void qt_apply_permutation(v2d *s, u32 n, const u32 *src, const u32 *targets, u32 k,
                                 u32 cmask) {
  size_t dim = (size_t)1 << k;
  size_t *offs = scratch_offs;
  make_offsets(offs, targets, k);
  u32 *moves = scratch_moves, nmoves = 0;
  for (u32 r = 0; r < dim; r++)
    if (src[r] != r) moves[nmoves++] = r;
  if (nmoves == 0) return;
  bases b;
  make_bases(&b, n, targets, k, cmask);
  if (nmoves == 2 && src[moves[0]] == moves[1]) { /* one swap: X, CX, SWAP, CSWAP */
    size_t oa = offs[moves[0]], ob = offs[moves[1]];
    FOR_BASES(b, at, {
      v2d t = s[at + oa];
      s[at + oa] = s[at + ob];
      s[at + ob] = t;
    })
    return;
  }
  v2d *x = scratch_in;
  FOR_BASES(b, at, {
    v2d *base = s + at;
    for (u32 j = 0; j < nmoves; j++) x[j] = base[offs[src[moves[j]]]];
    for (u32 j = 0; j < nmoves; j++) base[offs[moves[j]]] = x[j];
  })
}

/* Programs: `count` operations in one call (no call per gate from Python). Each record is
 * 16-byte aligned: u32 op (0 dense, 1 diagonal, 2 permutation), k, control mask, the
 * record's size in bytes, then k targets, zeros up to 16 bytes, then the operation's data
 * (a 2**k x 2**k matrix or 2**k diagonal entries as complex doubles, or a 2**k-entry u32
 * source table).
 *
 * Consecutive operations on qubits below RUN_BLOCK_BITS run block by block: each block of
 * 2**RUN_BLOCK_BITS amplitudes (256 KiB) gets the whole run while it sits in cache, so a
 * run of gates on low qubits costs one sweep over memory instead of one per gate. Every
 * amplitude sees the same operations in the same order: the bits do not change. */
#define RUN_BLOCK_BITS 14
#define OP_SKIP 3 /* a record merged into a neighbour (see merge_one_qubit_runs) */

static int record_ok(const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  return h[0] <= 2 && h[1] <= MAX_K && h[3] % 16 == 0 && h[3] >= 16;
}

/* one past the highest qubit the record touches (targets and controls) */
static u32 record_span(const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  if (h[0] == OP_SKIP) return 0;
  u32 span = 32 - (u32)__builtin_clz(h[2] | 1);
  if (h[2] == 0) span = 0;
  for (u32 j = 0; j < h[1]; j++)
    if (h[4 + j] + 1 > span) span = h[4 + j] + 1;
  return span;
}

static void run_record(v2d *s, u32 n, const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  u32 op = h[0], k = h[1], cmask = h[2];
  const u32 *targets = h + 4;
  const void *data = rec + 16 + ((4 * (size_t)k + 15) & ~(size_t)15);
  if (op == 0) qt_apply_dense(s, n, (const v2d *)data, targets, k, cmask);
  else if (op == 1) qt_apply_diagonal(s, n, (const v2d *)data, targets, k, cmask);
  else if (op == 2) qt_apply_permutation(s, n, (const u32 *)data, targets, k, cmask);
  /* OP_SKIP: merged into a neighbour */
}

/* Above RUN_BLOCK_BITS qubits, consecutive uncontrolled one-qubit matrices and diagonals on
 * the same qubit (a random circuit's RY then RZ) are merged into one 2x2 before they run:
 * one pass instead of two. The product rounds differently from applying both (1e-16),
 * as NumPy's fused matrices do. The merged operation takes the slot of whichever record
 * can hold it (a dense one, or the later diagonal) and the other becomes OP_SKIP. */
static inline v2d *record_data(unsigned char *rec) {
  u32 k = ((u32 *)rec)[1];
  return (v2d *)(rec + 16 + ((4 * (size_t)k + 15) & ~(size_t)15));
}

static inline int one_qubit(const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  return (h[0] == 0 || h[0] == 1) && h[1] == 1 && h[2] == 0;
}

static void as_matrix(unsigned char *rec, v2d *m) {
  v2d *d = record_data(rec), zero = {0.0, 0.0};
  if (((u32 *)rec)[0] == 0) {
    for (int j = 0; j < 4; j++) m[j] = d[j];
  } else {
    m[0] = d[0], m[1] = zero, m[2] = zero, m[3] = d[1];
  }
}

static void merge_one_qubit_runs(unsigned char *prog, u32 count) {
  unsigned char *last = 0; /* the previous record that ran, if one-qubit */
  for (u32 i = 0; i < count; i++, prog += ((u32 *)prog)[3]) {
    if (!one_qubit(prog)) {
      last = 0;
      continue;
    }
    if (!last || ((u32 *)last)[4] != ((u32 *)prog)[4]) {
      last = prog;
      continue;
    }
    v2d a[4], b[4], m[4];
    as_matrix(last, a); /* runs first */
    as_matrix(prog, b);
    unsigned char *keep = prog, *drop = last;
    if (((u32 *)last)[0] == 1 && ((u32 *)prog)[0] == 1) {
      v2d *d = record_data(prog);
      d[0] = cmul(b[0], a[0]);
      d[1] = cmul(b[3], a[3]);
    } else {
      for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++)
          m[2 * r + c] = cmul(b[2 * r], a[c]) + cmul(b[2 * r + 1], a[2 + c]);
      if (((u32 *)prog)[0] != 0) keep = last, drop = prog;
      v2d *d = record_data(keep);
      for (int j = 0; j < 4; j++) d[j] = m[j];
    }
    ((u32 *)drop)[0] = OP_SKIP;
    last = keep;
  }
}

/* Consecutive diagonals (phases: CP, CZ, RZ, T...) on at most DIAG_RUN_BITS qubits together
 * become one table, applied in one sweep over the state: a QFT's controlled phases on a
 * high qubit cost two or three sweeps instead of one pass each. Each table entry is the
 * product of the run's entries in order, so an amplitude may differ from gate by gate in
 * the last bit (as NumPy's fused diagonals do). */
#ifndef DIAG_RUN_BITS
#define DIAG_RUN_BITS 10
#endif
#define SWEEP_LOW_BITS 10 /* the sweep looks keys up in two tables: low index bits ... */
#define SWEEP_HIGH_BITS 18 /* ... and high ones (states up to 28 qubits) */

static v2d diag_table[1 << DIAG_RUN_BITS];
static u32 diag_lo_key[1 << (28 - SWEEP_HIGH_BITS)];
static u32 diag_hi_key[1 << SWEEP_HIGH_BITS];

static u32 record_qubits(const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  u32 all = h[2];
  for (u32 j = 0; j < h[1]; j++) all |= (u32)1 << h[4 + j];
  return all;
}

/* key of index i: bit j = bit qs[j] of i */
static inline u32 gather_bits(size_t i, const u32 *qs, u32 m) {
  u32 key = 0;
  for (u32 j = 0; j < m; j++) key |= (u32)((i >> qs[j]) & 1) << j;
  return key;
}

/* Applies the diagonal records [prog, end) (all on qubits in `all`, at most DIAG_RUN_BITS). */
static void run_diagonals(v2d *s, u32 n, const unsigned char *prog, const unsigned char *end,
                          u32 all) {
  u32 qs[32], m = 0;
  for (u32 q = 0; q < n; q++)
    if (all >> q & 1) qs[m++] = q;
  size_t dim = (size_t)1 << m;
  v2d one = {1.0, 0.0};
  for (size_t t = 0; t < dim; t++) diag_table[t] = one;
  for (const unsigned char *r = prog; r < end; r += ((const u32 *)r)[3]) {
    const u32 *h = (const u32 *)r;
    if (h[0] == OP_SKIP) continue;
    u32 k = h[1], ckey = 0, pos[MAX_K];
    const v2d *d = (const v2d *)(r + 16 + ((4 * (size_t)k + 15) & ~(size_t)15));
    for (u32 j = 0; j < m; j++)
      if (h[2] >> qs[j] & 1) ckey |= (u32)1 << j;
    for (u32 j = 0; j < k; j++)
      for (u32 p = 0; p < m; p++)
        if (qs[p] == h[4 + j]) pos[j] = p;
    for (size_t t = 0; t < dim; t++) {
      if ((t & ckey) != ckey) continue;
      size_t idx = 0;
      for (u32 j = 0; j < k; j++) idx |= ((t >> pos[j]) & 1) << j;
      diag_table[t] = cmul(d[idx], diag_table[t]);
    }
  }
  u32 low = n < SWEEP_LOW_BITS ? n : SWEEP_LOW_BITS;
  if (n - low > SWEEP_HIGH_BITS) low = n - SWEEP_HIGH_BITS;
  size_t lo_size = (size_t)1 << low, hi_size = (size_t)1 << (n - low);
  for (size_t l = 0; l < lo_size; l++) diag_lo_key[l] = gather_bits(l, qs, m);
  for (size_t hh = 0; hh < hi_size; hh++) diag_hi_key[hh] = gather_bits(hh << low, qs, m);
  for (size_t hh = 0; hh < hi_size; hh++) {
    v2d *blk = s + (hh << low);
    u32 hk = diag_hi_key[hh];
    for (size_t l = 0; l < lo_size; l++) blk[l] = cmul(diag_table[hk | diag_lo_key[l]], blk[l]);
  }
}

/* Runs of X, CX and SWAP (permutations of the basis that are affine maps of the index
 * bits over GF(2)) on states of up to AFFINE_MAX_BITS qubits compose into one map, applied
 * in one gather: a GHZ ladder or a random circuit's CX layer on 14 qubits moves each
 * amplitude once instead of once per gate. Amplitudes only move, so the bits are those of
 * gate by gate. */
#define AFFINE_MAX_BITS 14
#define AFFINE_MIN_RUN 3
#define AFFINE_LOW_BITS 7

static v2d affine_out[1 << AFFINE_MAX_BITS];
static u32 affine_lo[1 << AFFINE_LOW_BITS];
static u32 affine_hi[1 << (AFFINE_MAX_BITS - AFFINE_LOW_BITS)];

/* X (k = 1, at most one control) or SWAP (k = 2, no control) */
static int record_affine(const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  if (h[0] == OP_SKIP) return 1;
  if (h[0] != 2) return 0;
  const u32 *src = (const u32 *)(rec + 16 + ((4 * (size_t)h[1] + 15) & ~(size_t)15));
  if (h[1] == 1) return h[2] == 0 || (h[2] & (h[2] - 1)) == 0 ? src[0] == 1 && src[1] == 0 : 0;
  return h[1] == 2 && h[2] == 0 && src[0] == 0 && src[1] == 2 && src[2] == 1 && src[3] == 3;
}

/* where the run [prog, end) takes the amplitude now at index i (each record is its own
 * inverse, so new[i] = old[map(i)] with the records applied last first) */
static u32 affine_source(const unsigned char *prog, const unsigned char *end, u32 i,
                         u32 count) {
  const unsigned char *recs[1 << 10];
  u32 m = 0;
  for (const unsigned char *r = prog; r < end && m < count; r += ((const u32 *)r)[3]) recs[m++] = r;
  while (m--) {
    const u32 *h = (const u32 *)recs[m];
    if (h[0] == OP_SKIP) continue;
    if (h[1] == 1) {
      if (!h[2] || (i & h[2])) i ^= (u32)1 << h[4];
    } else {
      u32 a = h[4], b = h[5];
      if (((i >> a) ^ (i >> b)) & 1) i ^= ((u32)1 << a) | ((u32)1 << b);
    }
  }
  return i;
}

static void run_affine(v2d *s, u32 n, const unsigned char *prog, const unsigned char *end,
                       u32 count) {
  u32 col[AFFINE_MAX_BITS];
  u32 origin = affine_source(prog, end, 0, count);
  for (u32 j = 0; j < n; j++) col[j] = affine_source(prog, end, (u32)1 << j, count) ^ origin;
  u32 low = n < AFFINE_LOW_BITS ? n : AFFINE_LOW_BITS;
  size_t lo_size = (size_t)1 << low, hi_size = (size_t)1 << (n - low);
  affine_lo[0] = origin;
  for (size_t x = 1; x < lo_size; x++)
    affine_lo[x] = affine_lo[x & (x - 1)] ^ col[__builtin_ctz((u32)x)];
  affine_hi[0] = 0;
  for (size_t y = 1; y < hi_size; y++)
    affine_hi[y] = affine_hi[y & (y - 1)] ^ col[low + __builtin_ctz((u32)y)];
  for (size_t y = 0; y < hi_size; y++) {
    u32 hk = affine_hi[y];
    v2d *out = affine_out + (y << low);
    for (size_t x = 0; x < lo_size; x++) out[x] = s[hk ^ affine_lo[x]];
  }
  __builtin_memcpy(s, affine_out, sizeof(v2d) << n);
}

/* Checks `count` records; returns `count`, or the index of the first malformed one. */
static u32 check_records(const unsigned char *prog, u32 count) {
  const unsigned char *at = prog;
  for (u32 i = 0; i < count; i++) {
    if (!record_ok(at)) return i;
    at += ((const u32 *)at)[3];
  }
  return count;
}

/* Runs `count` checked (and, above RUN_BLOCK_BITS, merged) records on the state. */
static void exec_records(v2d *s, u32 n, unsigned char *prog, u32 count) {
  u32 i = 0;
  while (i < count) {
    u32 j = i;
    unsigned char *end = prog;
    if (n <= AFFINE_MAX_BITS && record_affine(prog)) {
      while (j < count && j - i < (1 << 10) && record_affine(end)) {
        end += ((const u32 *)end)[3];
        j++;
      }
      if (j - i >= AFFINE_MIN_RUN) {
        run_affine(s, n, prog, end, j - i);
        prog = end;
        i = j;
        continue;
      }
      j = i;
      end = prog;
    }
    if (n > RUN_BLOCK_BITS)
      while (j < count && record_span(end) <= RUN_BLOCK_BITS) {
        end += ((const u32 *)end)[3];
        j++;
      }
    if (j - i < 2 && n > RUN_BLOCK_BITS && ((const u32 *)prog)[0] == 1) {
      /* a run of diagonals, one of them on a high qubit: one table, one sweep */
      u32 all = 0;
      j = i;
      end = prog;
      while (j < count && (((const u32 *)end)[0] == 1 || ((const u32 *)end)[0] == OP_SKIP)) {
        u32 more = all | (((const u32 *)end)[0] == 1 ? record_qubits(end) : 0);
        if (__builtin_popcount(more) > DIAG_RUN_BITS) break;
        all = more;
        end += ((const u32 *)end)[3];
        j++;
      }
      if (j - i >= 2) {
        run_diagonals(s, n, prog, end, all);
        prog = end;
        i = j;
        continue;
      }
      j = i;
    }
    if (j - i >= 2) { /* a run on low qubits: block by block */
      size_t block = (size_t)1 << RUN_BLOCK_BITS, size = (size_t)1 << n;
      for (size_t off = 0; off < size; off += block)
        for (const unsigned char *r = prog; r < end; r += ((const u32 *)r)[3])
          run_record(s + off, RUN_BLOCK_BITS, r);
      prog = end;
      i = j;
    } else {
      run_record(s, n, prog);
      prog += ((const u32 *)prog)[3];
      i++;
    }
  }
}


/* ------------------------------------------------------------------ fresh states
 * A run that starts from a basis state (every simulate() of a circuit without mid-circuit
 * measurement) first runs on a sparse list of the non-zero amplitudes, kept while it holds
 * at most SPARSE_MAX of them: a GHZ ladder or a QFT's first Hadamards touch a handful of
 * amplitudes instead of sweeping 2**n. Each record computes every amplitude it produces
 * with the very expressions of the dense passes (the same products, summed in the same
 * order; a missing amplitude is +0.0), so the state is the dense run's bits (a zero may
 * differ in sign only). When a record would need more entries, the state is written out
 * (one memory.fill, then the entries) and the rest of the program runs densely. The
 * state's memory is never read before that: it may hold anything. */
#define SPARSE_MAX 64

static u32 sparse_idx[SPARSE_MAX];
static v2d sparse_amp[SPARSE_MAX];
static u32 sparse_inv[1 << MAX_K];

static inline u32 pext_bits(u32 i, const u32 *targets, u32 k) {
  u32 r = 0;
  for (u32 j = 0; j < k; j++) r |= ((i >> targets[j]) & 1) << j;
  return r;
}

static inline u32 pdep_bits(u32 r, const u32 *targets, u32 k) {
  u32 i = 0;
  for (u32 j = 0; j < k; j++) i |= ((r >> j) & 1) << targets[j];
  return i;
}

/* Applies one record to the sparse entries; returns 0 (nothing changed) when the result
 * would need more than SPARSE_MAX entries. */
static int sparse_record(u32 *count, const unsigned char *rec) {
  const u32 *h = (const u32 *)rec;
  u32 op = h[0], k = h[1], cmask = h[2], m = *count;
  if (op == OP_SKIP) return 1;
  const u32 *targets = h + 4;
  const void *data = rec + 16 + ((4 * (size_t)k + 15) & ~(size_t)15);
  u32 tmask = 0, dim = (u32)1 << k;
  for (u32 j = 0; j < k; j++) tmask |= (u32)1 << targets[j];
  if (op == 1) { /* diagonal: as qt_apply_diagonal, entries equal to 1 skipped */
    const v2d *d = (const v2d *)data;
    for (u32 e = 0; e < m; e++) {
      if ((sparse_idx[e] & cmask) != cmask) continue;
      v2d dj = d[pext_bits(sparse_idx[e], targets, k)];
      if (dj[0] == 1.0 && dj[1] == 0.0) continue;
      sparse_amp[e] = cmul(dj, sparse_amp[e]);
    }
    return 1;
  }
  if (op == 2) { /* permutation: new[offs[r]] = old[offs[src[r]]] moves entry src[r] to r */
    const u32 *src = (const u32 *)data;
    for (u32 r = 0; r < dim; r++) sparse_inv[src[r]] = r;
    for (u32 e = 0; e < m; e++) {
      u32 i = sparse_idx[e];
      if ((i & cmask) != cmask) continue;
      sparse_idx[e] = (i & ~tmask) | pdep_bits(sparse_inv[pext_bits(i, targets, k)], targets, k);
    }
    return 1;
  }
  /* dense: group the entries the record changes by base (index without target bits) */
  u32 bases[SPARSE_MAX], nb = 0, keep = 0;
  for (u32 e = 0; e < m; e++) {
    u32 i = sparse_idx[e];
    if ((i & cmask) != cmask) {
      keep++;
      continue;
    }
    u32 b = i & ~tmask, j = 0;
    while (j < nb && bases[j] != b) j++;
    if (j == nb) bases[nb++] = b;
  }
  if (keep + (size_t)nb * dim > SPARSE_MAX) return 0;
  u32 out_idx[SPARSE_MAX];
  v2d out_amp[SPARSE_MAX];
  u32 out = 0;
  for (u32 e = 0; e < m; e++)
    if ((sparse_idx[e] & cmask) != cmask) {
      out_idx[out] = sparse_idx[e];
      out_amp[out++] = sparse_amp[e];
    }
  const v2d *mat = (const v2d *)data;
  int real = k == 1 && cmask == 0 && mat[0][1] == 0.0 && mat[1][1] == 0.0 &&
             mat[2][1] == 0.0 && mat[3][1] == 0.0;
  v2d zero = {0.0, 0.0};
  for (u32 g = 0; g < nb; g++) {
    v2d x[SPARSE_MAX];
    for (u32 c = 0; c < dim; c++) x[c] = zero;
    for (u32 e = 0; e < m; e++)
      if ((sparse_idx[e] & cmask) == cmask && (sparse_idx[e] & ~tmask) == bases[g])
        x[pext_bits(sparse_idx[e], targets, k)] = sparse_amp[e];
    for (u32 r = 0; r < dim; r++) {
      v2d acc;
      if (real) { /* dense1_real */
        v2d a = {mat[2 * r][0], mat[2 * r][0]}, b = {mat[2 * r + 1][0], mat[2 * r + 1][0]};
        acc = a * x[0] + b * x[1];
      } else { /* dense1, qt_apply_dense: row sums left to right */
        const v2d *row = mat + (size_t)r * dim;
        acc = cmul(row[0], x[0]);
        for (u32 c = 1; c < dim; c++) acc += cmul(row[c], x[c]);
      }
      if (acc[0] == 0.0 && acc[1] == 0.0) continue; /* stays absent: +0.0 */
      out_idx[out] = bases[g] | pdep_bits(r, targets, k);
      out_amp[out++] = acc;
    }
  }
  for (u32 e = 0; e < out; e++) {
    sparse_idx[e] = out_idx[e];
    sparse_amp[e] = out_amp[e];
  }
  *count = out;
  return 1;
}

/* Checks and prepares a program for qt_exec on n-qubit states: above RUN_BLOCK_BITS,
 * merges one-qubit runs in place (once: a prepared program is run as it is). Returns
 * `count`, or the index of the first malformed record. */
EXPORT u32 qt_prepare(u32 n, unsigned char *prog, u32 count) {
  u32 ok = check_records(prog, count);
  if (ok != count) return ok;
  if (n > RUN_BLOCK_BITS) merge_one_qubit_runs(prog, count);
  return count;
}

/* Runs a program from qt_prepare (not modified: it may run again). With `fresh` below
 * 2**n, the state is first set to the basis state |fresh> (its memory is never read before
 * it is written); otherwise the program runs on the state as it is. */
EXPORT void qt_exec(v2d *s, u32 n, unsigned char *prog, u32 count, u32 fresh) {
  if (n < 32 && fresh < ((u32)1 << n)) {
    u32 m = 1, i = 0;
    v2d one = {1.0, 0.0};
    sparse_idx[0] = fresh;
    sparse_amp[0] = one;
    while (i < count && sparse_record(&m, prog)) {
      prog += ((const u32 *)prog)[3];
      i++;
    }
    __builtin_memset(s, 0, sizeof(v2d) << n);
    for (u32 e = 0; e < m; e++) s[sparse_idx[e]] = sparse_amp[e];
    count -= i;
  }
  exec_records(s, n, prog, count);
}

/* Returns how many records ran: `count`, or the index of the first malformed one (none
 * of which ran). The records may be rewritten (merged): a program runs once. */
EXPORT u32 qt_run(v2d *s, u32 n, unsigned char *prog, u32 count) {
  u32 ok = qt_prepare(n, prog, count);
  if (ok == count) exec_records(s, n, prog, count);
  return ok;
}

EXPORT void qt_scale(v2d *s, u32 n, double re, double im) {
  v2d f = {re, im};
  for (size_t i = 0; i < ((size_t)1 << n); i++) s[i] = cmul(f, s[i]);
}

EXPORT void qt_copy(v2d *dst, const v2d *src, u32 n) {
  for (size_t i = 0; i < ((size_t)1 << n); i++) dst[i] = src[i];
}

EXPORT void qt_basis_state(v2d *s, u32 n, u32 index) {
  v2d zero = {0.0, 0.0}, one = {1.0, 0.0};
  for (size_t i = 0; i < ((size_t)1 << n); i++) s[i] = zero;
  s[index] = one;
}

/* ------------------------------------------------------------------ measurement */
static inline double prob(v2d z) { return z[0] * z[0] + z[1] * z[1]; }

EXPORT double qt_prob_one(const v2d *s, u32 n, u32 q) {
  size_t stride = (size_t)1 << q, size = (size_t)1 << n;
  v2d acc = {0.0, 0.0};
  for (size_t start = stride; start < size; start += stride << 1)
    for (size_t i = 0; i < stride; i++) acc += s[start + i] * s[start + i];
  return acc[0] + acc[1];
}

EXPORT void qt_collapse(v2d *s, u32 n, u32 q, u32 outcome, double factor) {
  size_t stride = (size_t)1 << q, size = (size_t)1 << n;
  v2d zero = {0.0, 0.0}, f = {factor, factor};
  size_t keep = outcome ? stride : 0, drop = outcome ? 0 : stride;
  for (size_t start = 0; start < size; start += stride << 1)
    for (size_t i = 0; i < stride; i++) {
      s[start + drop + i] = zero;
      s[start + keep + i] = f * s[start + keep + i];
    }
}

EXPORT double qt_norm_sq(const v2d *s, u32 n) {
  v2d acc = {0.0, 0.0};
  for (size_t i = 0; i < ((size_t)1 << n); i++) acc += s[i] * s[i];
  return acc[0] + acc[1];
}

/* out[0] + i out[1] = <a|b> */
EXPORT void qt_inner(const v2d *a, const v2d *b, u32 n, double *out) {
  double re = 0.0, im = 0.0;
  for (size_t i = 0; i < ((size_t)1 << n); i++) {
    re += a[i][0] * b[i][0] + a[i][1] * b[i][1];
    im += a[i][0] * b[i][1] - a[i][1] * b[i][0];
  }
  out[0] = re;
  out[1] = im;
}

EXPORT void qt_probabilities(const v2d *s, u32 n, double *out) {
  for (size_t i = 0; i < ((size_t)1 << n); i++) out[i] = prob(s[i]);
}

/* Sorts idx[0..count) by u[idx[.]] ascending (heap sort: no libc, no recursion). */
static void sort_by(u32 *idx, const double *u, size_t count) {
  if (count < 2) return;
  for (size_t start = count / 2; start-- > 0;) {
    size_t root = start;
    for (;;) {
      size_t child = 2 * root + 1;
      if (child >= count) break;
      if (child + 1 < count && u[idx[child]] < u[idx[child + 1]]) child++;
      if (u[idx[root]] >= u[idx[child]]) break;
      u32 t = idx[root]; idx[root] = idx[child]; idx[child] = t;
      root = child;
    }
  }
  for (size_t end = count - 1; end > 0; end--) {
    u32 t = idx[0]; idx[0] = idx[end]; idx[end] = t;
    size_t root = 0;
    for (;;) {
      size_t child = 2 * root + 1;
      if (child >= end) break;
      if (child + 1 < end && u[idx[child]] < u[idx[child + 1]]) child++;
      if (u[idx[root]] >= u[idx[child]]) break;
      u32 t2 = idx[root]; idx[root] = idx[child]; idx[child] = t2;
      root = child;
    }
  }
}

/* For each uniform u[j], the first index whose sequential running sum of probabilities
 * exceeds u[j] * total (the last index if none does); `order` is scratch of `shots` u32. */
EXPORT void qt_sample(const v2d *s, u32 n, double *u, u32 shots, u32 *order, u32 *out) {
  size_t size = (size_t)1 << n;
  double total = 0.0;
  for (size_t i = 0; i < size; i++) total += prob(s[i]);
  for (u32 j = 0; j < shots; j++) {
    u[j] = u[j] * total;
    order[j] = j;
  }
  sort_by(order, u, shots);
  size_t i = 0;
  double running = size ? prob(s[0]) : 0.0;
  for (u32 j = 0; j < shots; j++) {
    double x = u[order[j]];
    while (i < size && running <= x) {
      i++;
      if (i < size) running += prob(s[i]);
    }
    out[order[j]] = (u32)(i < size ? i : size - 1);
  }
}

EXPORT void qt_marginal(const v2d *s, u32 n, const u32 *qargs, u32 k, double *out) {
  for (size_t j = 0; j < ((size_t)1 << k); j++) out[j] = 0.0;
  for (size_t i = 0; i < ((size_t)1 << n); i++) {
    size_t key = 0;
    for (u32 j = 0; j < k; j++) key |= ((i >> qargs[j]) & 1) << j;
    out[key] += prob(s[i]);
  }
}

/* rho[a][b] = sum over the other bits r of psi[a, r] conj(psi[b, r]); out is dim*dim complex */
EXPORT void qt_reduced_density_matrix(const v2d *s, u32 n, const u32 *qargs, u32 k, v2d *out) {
  size_t dim = (size_t)1 << k;
  v2d zero = {0.0, 0.0};
  for (size_t j = 0; j < dim * dim; j++) out[j] = zero;
  bases b;
  make_bases(&b, n, qargs, k, 0);
  size_t *offs = scratch_offs;
  make_offsets(offs, qargs, k);
  v2d *x = scratch_in;
  for (size_t i = 0; i < b.count; i++) {
    const v2d *base = s + base_at(&b, i);
    for (size_t c = 0; c < dim; c++) x[c] = base[offs[c]];
    for (size_t r = 0; r < dim; r++)
      for (size_t c = 0; c < dim; c++) {
        v2d y = {x[c][0], -x[c][1]};
        out[r * dim + c] += cmul(x[r], y);
      }
  }
}

/* ------------------------------------------------------------------ frames */
/* Exactly rounded sums (Shewchuk's algorithm, as CPython's math.fsum), so Bloch vectors of
 * small states are the pure-Python kernel's bits. */
typedef struct {
  int n;
  double p[64];
} fsum_t;

static inline void fsum_add(fsum_t *f, double x) {
  int i = 0;
  for (int j = 0; j < f->n; j++) {
    double y = f->p[j];
    if (dabs(x) < dabs(y)) { double t = x; x = y; y = t; }
    double hi = x + y;
    double lo = y - (hi - x);
    if (lo != 0.0) f->p[i++] = lo;
    x = hi;
  }
  f->p[i] = x;
  f->n = i + 1;
}

static double fsum_result(fsum_t *f) {
  int n = f->n;
  double hi = 0.0, lo = 0.0;
  if (n > 0) {
    hi = f->p[--n];
    while (n > 0) {
      double x = hi, y = f->p[--n];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) break;
    }
    if (n > 0 && ((lo < 0.0 && f->p[n - 1] < 0.0) || (lo > 0.0 && f->p[n - 1] > 0.0))) {
      double y = lo * 2.0;
      double x = hi + y;
      double yr = x - hi;
      if (y == yr) hi = x;
    }
  }
  return hi;
}

/* acc[0..3] += (|lo|^2, |hi|^2, lo*hi, lo*swap(hi)) over the pairs (i, i + stride) of
 * [start, end); two accumulator sets (pairs i and i + 1) halve the add-latency chain. */
static void pair_sums(const v2d *s, size_t start, size_t end, size_t stride, v2d *acc) {
  v2d a0 = acc[0], a1 = acc[1], ax = acc[2], ay = acc[3];
  v2d z = {0.0, 0.0}, c0 = z, c1 = z, cx = z, cy = z;
  size_t step = stride == 1 ? 4 : stride << 1; /* q = 0: two blocks per iteration */
  size_t inner = stride == 1 ? 1 : stride;
  size_t next = stride == 1 ? 2 : 1; /* where the second pair starts */
  for (size_t b = start; b < end; b += step)
    for (size_t i = 0; i < inner; i += 2 - (stride == 1)) {
      v2d a = s[b + i], h = s[b + stride + i];
      v2d c = s[b + next + i], d = s[b + next + stride + i];
      a0 += a * a;
      a1 += h * h;
      ax += a * h;
      ay += a * __builtin_shufflevector(h, h, 1, 0);
      c0 += c * c;
      c1 += d * d;
      cx += c * d;
      cy += c * __builtin_shufflevector(d, d, 1, 0);
    }
  acc[0] = a0 + c0;
  acc[1] = a1 + c1;
  acc[2] = ax + cx;
  acc[3] = ay + cy;
}

#define BLOCK_BITS 13 /* 2**13 amplitudes = 128 KiB: a block stays in cache for every low qubit */

/* out[4j .. 4j+3] = Bloch x, y, z and P(1) of qubit qubits[j], for k distinct qubits. Each
 * qubit's sums run in the same order whichever other qubits are listed, so a frame after an
 * operation on a few qubits recomputes just those and gets qt_bloch's bits for them. */
EXPORT void qt_bloch_qubits(const v2d *s, u32 n, const u32 *qubits, u32 k, double *out) {
  size_t size = (size_t)1 << n;
  if (n <= EXACT_MAX_QUBITS) {
    for (u32 j = 0; j < k; j++) {
      size_t stride = (size_t)1 << qubits[j];
      fsum_t f0, f1, fx, fy;
      f0.n = f1.n = fx.n = fy.n = 0;
      for (size_t start = 0; start < size; start += stride << 1)
        for (size_t i = 0; i < stride; i++) {
          v2d a = s[start + i], b = s[start + stride + i];
          fsum_add(&f0, prob(a));
          fsum_add(&f1, prob(b));
          fsum_add(&fx, a[0] * b[0] + a[1] * b[1]);
          fsum_add(&fy, a[0] * b[1] - a[1] * b[0]);
        }
      double p1 = fsum_result(&f1);
      out[4 * j] = 2.0 * fsum_result(&fx);
      out[4 * j + 1] = 2.0 * fsum_result(&fy);
      out[4 * j + 2] = fsum_result(&f0) - p1;
      out[4 * j + 3] = p1;
    }
    return;
  }
  /* Qubits below BLOCK_BITS: block by block, every low qubit while the block is in cache
   * (one pass over memory for all of them); the others: one streaming pass each. */
  v2d acc[64][4];
  v2d zero = {0.0, 0.0};
  for (u32 j = 0; j < k; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = zero;
  size_t block = (size_t)1 << BLOCK_BITS;
  for (size_t start = 0; start < size; start += block)
    for (u32 j = 0; j < k; j++)
      if (qubits[j] < BLOCK_BITS)
        pair_sums(s, start, start + block, (size_t)1 << qubits[j], acc[j]);
  for (u32 j = 0; j < k; j++)
    if (qubits[j] >= BLOCK_BITS) pair_sums(s, 0, size, (size_t)1 << qubits[j], acc[j]);
  for (u32 j = 0; j < k; j++) {
    v2d *a = acc[j];
    double p0 = a[0][0] + a[0][1], p1 = a[1][0] + a[1][1];
    out[4 * j] = 2.0 * (a[2][0] + a[2][1]);
    out[4 * j + 1] = 2.0 * (a[3][0] - a[3][1]);
    out[4 * j + 2] = p0 - p1;
    out[4 * j + 3] = p1;
  }
}

/* out[4q .. 4q+3] = Bloch x, y, z and P(1) of qubit q, for every qubit. */
EXPORT void qt_bloch(const v2d *s, u32 n, double *out) {
  u32 all[64];
  for (u32 q = 0; q < n; q++) all[q] = q;
  qt_bloch_qubits(s, n, all, n, out);
}

/* The k most probable basis states with non-zero probability, by decreasing probability,
 * ties by increasing index; returns how many. `idx` holds k entries (a min-heap while
 * scanning, where the "smallest" is the lowest probability, then the highest index). */
static inline int worse(const double *pr, const u32 *idx, size_t a, size_t b) {
  double pa = pr[a], pb = pr[b];
  return pa < pb || (pa == pb && idx[a] > idx[b]);
}

static void heap_down(double *pr, u32 *idx, size_t count, size_t root) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= count) return;
    if (child + 1 < count && worse(pr, idx, child + 1, child)) child++;
    if (!worse(pr, idx, child, root)) return;
    double tp = pr[root]; pr[root] = pr[child]; pr[child] = tp;
    u32 ti = idx[root]; idx[root] = idx[child]; idx[child] = ti;
    root = child;
  }
}

/* Once the heap is full, index i replaces its worst entry only if p > that entry (a later
 * index never beats an equal probability): four amplitudes are tested against the worst
 * kept probability at a time and looked at one by one only when one of them beats it,
 * which after the first few thousand indices is rare. The same entries win, in the same
 * order, as testing one at a time. */
static inline void top_replace(double *pr, u32 *idx, size_t count, double p, size_t i) {
  pr[0] = p;
  idx[0] = (u32)i;
  heap_down(pr, idx, count, 0);
}

EXPORT u32 qt_top_states(const v2d *s, u32 n, u32 k, u32 *idx, double *pr) {
  size_t size = (size_t)1 << n, count = 0, i = 0;
  if (k == 0) return 0;
  for (; i < size && count < k; i++) {
    double p = prob(s[i]);
    if (!(p > 0.0)) continue;
    size_t c = count++; /* sift up */
    pr[c] = p;
    idx[c] = (u32)i;
    while (c > 0) {
      size_t parent = (c - 1) / 2;
      if (!worse(pr, idx, c, parent)) break;
      double tp = pr[c]; pr[c] = pr[parent]; pr[parent] = tp;
      u32 ti = idx[c]; idx[c] = idx[parent]; idx[parent] = ti;
      c = parent;
    }
  }
  double worst = count ? pr[0] : 0.0;
  for (; i + 4 <= size; i += 4) {
    double p0 = prob(s[i]), p1 = prob(s[i + 1]), p2 = prob(s[i + 2]), p3 = prob(s[i + 3]);
    if (!((p0 > worst) | (p1 > worst) | (p2 > worst) | (p3 > worst))) continue;
    if (p0 > pr[0]) top_replace(pr, idx, count, p0, i);
    if (p1 > pr[0]) top_replace(pr, idx, count, p1, i + 1);
    if (p2 > pr[0]) top_replace(pr, idx, count, p2, i + 2);
    if (p3 > pr[0]) top_replace(pr, idx, count, p3, i + 3);
    worst = pr[0];
  }
  for (; i < size; i++) {
    double p = prob(s[i]);
    if (p > pr[0]) top_replace(pr, idx, count, p, i);
  }
  /* pop the worst to the back: best first */
  for (size_t end = count; end > 1; end--) {
    double tp = pr[0]; pr[0] = pr[end - 1]; pr[end - 1] = tp;
    u32 ti = idx[0]; idx[0] = idx[end - 1]; idx[end - 1] = ti;
    heap_down(pr, idx, end - 1, 0);
  }
  return (u32)count;
}

/* out[j] = s[idx[j]] */
EXPORT void qt_gather(const v2d *s, const u32 *idx, u32 count, v2d *out) {
  for (u32 j = 0; j < count; j++) out[j] = s[idx[j]];
}
