/* SPDX-License-Identifier: MIT */
/*
 * LUTCore instruction set: the binary encoding of a job's instruction stream
 * (the hardware's datasheet in C, like lutcore_regs.h).
 *
 * A stream is an array of fixed 128-byte descriptors in device memory,
 * executed in order. Every field is little-endian. Dimensions count
 * elements, strides ("_ld") count elements between consecutive rows and 0
 * means "packed" (the row length). Addresses are device VAs.
 *
 * Rules that hold for every instruction (docs/isa.md has the semantics):
 *  - opcode 0 is invalid, so a zero-filled buffer never runs;
 *  - every reserved field, every unknown flag bit and every operand address
 *    the flags do not enable must be zero (LUTCORE_ERR_BAD_OPCODE);
 *  - an operand must be aligned to its element size, packed weights to
 *    LUTC_WEIGHT_ALIGN, and every size must fit the limits below
 *    (LUTCORE_ERR_BAD_OPERAND).
 *
 * Only fixed-width types and constants: the QEMU device, the engine, the
 * library and the tests all include this header.
 */
#ifndef LUTCORE_ISA_H
#define LUTCORE_ISA_H

#include <stdint.h>
#include "lutcore_regs.h"

#define LUTC_ISA_VERSION        1

/* ---- Stream ------------------------------------------------------------- */

#define LUTC_INSN_SIZE          128     /* bytes per descriptor */
#define LUTC_STREAM_ALIGN       8       /* stream VA alignment */
#define LUTC_STREAM_MAX         (64u << 20)     /* bytes per stream */

/* ---- Limits ------------------------------------------------------------- */

#define LUTC_MAX_DIM            (1u << 20)      /* any single dimension */
#define LUTC_MAX_HEADS          1024
#define LUTC_MAX_HEAD_DIM       1024

/* ---- Opcodes ------------------------------------------------------------ */

enum lutc_opcode {
    LUTC_OP_INVALID  = 0x00,
    LUTC_OP_NOP      = 0x01,
    LUTC_OP_FENCE    = 0x02,    /* all earlier writes complete */
    LUTC_OP_SIGNAL   = 0x03,    /* store a 64-bit value after a fence */
    LUTC_OP_COPY     = 0x04,    /* 2-D copy with optional conversion */
    LUTC_OP_PRECOMP  = 0x10,    /* activations -> symmetrized tables */
    LUTC_OP_LMMA     = 0x11,    /* bit-serial lookup-accumulate */
    LUTC_OP_EPILOGUE = 0x12,    /* scales, zero point, act, residual */
    LUTC_OP_EMBED    = 0x20,    /* embedding row gather */
    LUTC_OP_RMSNORM  = 0x21,
    LUTC_OP_ROPE     = 0x22,
    LUTC_OP_ATTN     = 0x23,    /* KV-cache attention */
    LUTC_OP_ELTWISE  = 0x24,
    LUTC_OP_ARGMAX   = 0x25,
    LUTC_OP_SOFTMAX  = 0x26,
};

/* ---- Element types ------------------------------------------------------ */

enum lutc_dtype {
    LUTC_DT_NONE = 0,
    LUTC_DT_F32  = 1,
    LUTC_DT_F16  = 2,           /* IEEE binary16 */
    LUTC_DT_BF16 = 3,
    LUTC_DT_I8   = 4,
    LUTC_DT_I16  = 5,
    LUTC_DT_I32  = 6,
    LUTC_DT_U8   = 7,           /* raw bytes (COPY only) */
};

/* ---- Packed weights ----------------------------------------------------- */

/*
 * Weight formats. A B-bit weight q (unsigned) is stored as B bit planes;
 * plane b contributes 2^b * (2*bit - 1), so the planes encode
 * q' = 2q - (2^B - 1) (the paper's Eq. 2 reinterpretation). Ternary uses
 * two planes of equal weight 1: w = (s0 + s1) / 2 with s = 2*bit - 1, so
 * the planes encode q' = 2w and no zero point is needed.
 */
enum lutc_wfmt {
    LUTC_WF_NONE    = 0,
    LUTC_WF_INT1    = 1,
    LUTC_WF_INT2    = 2,
    LUTC_WF_INT3    = 3,
    LUTC_WF_INT4    = 4,
    LUTC_WF_TERNARY = 5,
};

/*
 * Layout: [ceil(n / 64)][ceil(k / 4)][planes][32 bytes]. The 32 bytes of
 * one (row tile, k-group, plane) hold 64 nibbles: byte i has output row
 * i of the tile in its low nibble and row i + 32 in its high nibble. A
 * nibble is the 4 weight bits w0..w3 of k = 4g..4g+3 after the offline
 * sign inversion of Eq. 6: bit 3 = w3 (the sign), bits 2..0 = w3 ?
 * ~(w2 w1 w0) : (w2 w1 w0). Rows past n and k past the end are padding.
 */
#define LUTC_TILE_N             64      /* output rows per weight tile */
#define LUTC_GROUP_K            4       /* activations per table */
#define LUTC_TABLE_ENTRIES      8       /* 2^(K-1) after symmetrization */
#define LUTC_PLANE_BYTES        32      /* one plane of a (tile, group) */
#define LUTC_WEIGHT_ALIGN       32

/* ---- Instruction descriptors ------------------------------------------- */

/* First 8 bytes of every descriptor. */
struct lutc_insn_hdr {
    uint8_t  op;
    uint8_t  t0, t1, t2;        /* per-instruction type bytes */
    uint32_t flags;
};

/* NOP, FENCE: no operands; everything after the header is reserved. */

/* SIGNAL: after every earlier write is visible, store value at addr. */
#define LUTC_SIG_IRQ            (1u << 0)       /* also interrupt the host */
struct lutc_signal {
    uint8_t  op;
    uint8_t  rsvd0[3];
    uint32_t flags;
    uint64_t addr;              /* 8-byte aligned */
    uint64_t value;
    uint64_t rsvd1[13];
};

/* COPY: rows x cols elements; converts between F32, F16 and BF16. */
struct lutc_copy {
    uint8_t  op;
    uint8_t  src_dtype;
    uint8_t  dst_dtype;
    uint8_t  rsvd0;
    uint32_t flags;             /* none defined */
    uint32_t rows, cols;
    uint32_t src_ld, dst_ld;
    uint64_t src, dst;          /* the two ranges must not overlap */
    uint64_t rsvd1[11];
};

/*
 * PRECOMP: for each row m and each 4-group g of the activations, the 8
 * entries T[j] = -a3 + sum_{t<3} (2 j_t - 1) a_t, j = (j2 j1 j0).
 */
#define LUTC_PRE_RMSNORM        (1u << 0)       /* normalize rows first */
#define LUTC_PRE_QUANT_ACT      (1u << 1)       /* float acts -> per-token I8 */
#define LUTC_PRE_ASUM           (1u << 2)       /* write per-group sums */
#define LUTC_PRE_FLAGS          0x7u
struct lutc_precomp {
    uint8_t  op;
    uint8_t  act_dtype;         /* F32, F16, BF16, I8 */
    uint8_t  table_dtype;       /* F32, F16, I16, I8 */
    uint8_t  rsvd0;
    uint32_t flags;
    uint32_t m, k;
    uint32_t group;             /* multiple of 4; 0 = k */
    uint32_t act_ld;
    float    eps;               /* LUTC_PRE_RMSNORM */
    uint32_t rsvd1;
    uint64_t act;               /* [m][act_ld] act_dtype */
    uint64_t act_scale;         /* F32 [m], I8 activations */
    uint64_t norm_w;            /* F32 [k], LUTC_PRE_RMSNORM */
    uint64_t table;             /* out [m][ceil(k/4)][8] table_dtype */
    uint64_t tscale;            /* out F32 [m][ngroups], integer tables */
    uint64_t asum;              /* out F32 [m][ngroups], LUTC_PRE_ASUM */
    uint64_t rsvd2[6];
};

/*
 * LMMA: acc[m][n] (+)= sum over groups g of
 *     s[n,g] * (t[m,g] * P[m,n,g] - z[n,g] * asum[m,g])
 * where P is the lookup-accumulate of group g. Scales and zero points are
 * [ngroups][n] (group-major) or, with LUTC_MM_PER_CHANNEL, [n].
 */
#define LUTC_MM_ACCUMULATE      (1u << 0)       /* add onto acc */
#define LUTC_MM_WSCALE          (1u << 1)
#define LUTC_MM_WZERO           (1u << 2)       /* zero point array */
#define LUTC_MM_WZERO_IMM       (1u << 3)       /* zero point zero_imm */
#define LUTC_MM_PER_CHANNEL     (1u << 4)
#define LUTC_MM_TSCALE          (1u << 5)       /* table scale t[m,g] */
#define LUTC_MM_FLAGS           0x3fu
struct lutc_lmma {
    uint8_t  op;
    uint8_t  table_dtype;       /* F32, F16, I16, I8 */
    uint8_t  wfmt;              /* enum lutc_wfmt */
    uint8_t  acc_dtype;         /* F32, or I32 (integer tables, no scales) */
    uint32_t flags;
    uint32_t m, n, k;
    uint32_t group;             /* multiple of 4; 0 = k */
    uint8_t  scale_dtype;       /* F32 or F16: wscale and wzero */
    uint8_t  rsvd0[3];
    float    zero_imm;
    uint64_t table;
    uint64_t weights;
    uint64_t acc;               /* [m][n] acc_dtype */
    uint64_t wscale;
    uint64_t wzero;
    uint64_t tscale;            /* F32 [m][ngroups] */
    uint64_t asum;              /* F32 [m][ngroups], with a zero point */
    uint64_t rsvd1[5];
};

/*
 * EPILOGUE: v = acc; v *= row_scale[m]; v -= zero[n] * asum[m];
 * v *= col_scale[n]; v += bias[n]; v = act(v); v += residual[m][n];
 * then convert to out_dtype (I8: per-row absmax scale into out_scale).
 */
#define LUTC_EPI_ROW_SCALE      (1u << 0)
#define LUTC_EPI_ZERO           (1u << 1)       /* zero[n] array */
#define LUTC_EPI_ZERO_IMM       (1u << 2)
#define LUTC_EPI_COL_SCALE      (1u << 3)
#define LUTC_EPI_BIAS           (1u << 4)
#define LUTC_EPI_RESIDUAL       (1u << 5)
#define LUTC_EPI_FLAGS          0x3fu

enum lutc_act_fn {
    LUTC_ACT_NONE  = 0,
    LUTC_ACT_SILU  = 1,         /* x / (1 + e^-x) */
    LUTC_ACT_RELU2 = 2,         /* max(x, 0)^2 */
};

struct lutc_epilogue {
    uint8_t  op;
    uint8_t  acc_dtype;         /* F32, I32 */
    uint8_t  out_dtype;         /* F32, F16, I8 */
    uint8_t  act_fn;
    uint32_t flags;
    uint32_t m, n;
    uint32_t out_ld, res_ld;
    uint8_t  scale_dtype;       /* F32 or F16: col_scale and zero */
    uint8_t  res_dtype;         /* F32 or F16 */
    uint8_t  rsvd0[2];
    float    zero_imm;
    uint64_t acc;               /* [m][n] */
    uint64_t row_scale;         /* F32 [m] */
    uint64_t asum;              /* F32 [m], with a zero point */
    uint64_t col_scale;         /* [n] */
    uint64_t zero;              /* [n] */
    uint64_t bias;              /* F32 [n] */
    uint64_t residual;          /* [m][res_ld] res_dtype */
    uint64_t out;               /* [m][out_ld] out_dtype */
    uint64_t out_scale;         /* F32 [m], I8 output only */
    uint64_t rsvd1[3];
};

/*
 * EMBED: out[r] = row ids[r] of a dense table (src_dtype F32/F16/BF16,
 * wfmt NONE) or of packed weights (src_dtype NONE, wfmt set; scales and
 * zero points as for LMMA, flags LUTC_MM_WSCALE..LUTC_MM_PER_CHANNEL).
 */
struct lutc_embed {
    uint8_t  op;
    uint8_t  src_dtype;
    uint8_t  wfmt;
    uint8_t  out_dtype;         /* F32, F16 */
    uint32_t flags;
    uint32_t rows, dim, vocab;
    uint32_t group;             /* packed: as LMMA */
    uint32_t src_ld, out_ld;
    uint8_t  scale_dtype;
    uint8_t  rsvd0[3];
    float    zero_imm;
    uint64_t ids;               /* I32 [rows], each in [0, vocab) */
    uint64_t src;
    uint64_t wscale, wzero;
    uint64_t out;
    uint64_t rsvd1[6];
};
#define LUTC_EMBED_FLAGS        (LUTC_MM_WSCALE | LUTC_MM_WZERO | \
                                 LUTC_MM_WZERO_IMM | LUTC_MM_PER_CHANNEL)

/* RMSNORM: y = x / sqrt(mean(x^2) + eps) (* w). In place allowed. */
#define LUTC_NORM_WEIGHT        (1u << 0)
struct lutc_rmsnorm {
    uint8_t  op;
    uint8_t  in_dtype;          /* F32, F16 */
    uint8_t  out_dtype;         /* F32, F16 */
    uint8_t  rsvd0;
    uint32_t flags;
    uint32_t rows, n;
    uint32_t in_ld, out_ld;
    float    eps;
    uint32_t rsvd1;
    uint64_t in, weight, out;   /* weight F32 [n] */
    uint64_t rsvd2[9];
};

/* ROPE: rotate rows of [heads][head_dim]; in place allowed. */
enum lutc_rope_mode {
    LUTC_ROPE_NORM = 0,         /* pairs (2i, 2i+1) */
    LUTC_ROPE_NEOX = 1,         /* pairs (i, i + rot_dim/2) */
};
#define LUTC_ROPE_POS_ARRAY     (1u << 0)       /* positions from pos[] */
struct lutc_rope {
    uint8_t  op;
    uint8_t  dtype;             /* F32, F16 */
    uint8_t  mode;
    uint8_t  rsvd0;
    uint32_t flags;
    uint32_t rows, heads, head_dim;
    uint32_t rot_dim;           /* even, <= head_dim; 0 = head_dim */
    uint32_t in_ld, out_ld;
    uint32_t pos0;              /* position of row 0 without POS_ARRAY */
    float    theta;             /* frequency base, e.g. 10000 */
    float    freq_scale;        /* positions are multiplied by this */
    uint32_t rsvd1;
    uint64_t in, out;
    uint64_t pos;               /* I32 [rows] */
    uint64_t rsvd2[7];
};

/*
 * ATTN: optional append of rows new K/V at positions pos0.., then for each
 * query row r (position pos0 + r) and head h causal softmax attention over
 * cache positions 0..pos0+r of kv head h / (heads / kv_heads).
 * Cache layout [ctx][kv_heads][head_dim] kv_dtype: position-major, so an
 * append is one contiguous row and the live part is a prefix.
 */
#define LUTC_ATTN_APPEND        (1u << 0)
#define LUTC_ATTN_POS_INDIRECT  (1u << 1)       /* pos0 = *(I32 *)pos */
struct lutc_attn {
    uint8_t  op;
    uint8_t  kv_dtype;          /* F32, F16 */
    uint8_t  rsvd0[2];
    uint32_t flags;
    uint32_t rows, heads, kv_heads, head_dim;
    uint32_t ctx, pos0;
    uint32_t q_ld, kv_ld, out_ld;
    float    scale;             /* score scale, usually 1/sqrt(head_dim) */
    uint64_t q;                 /* F32 [rows][q_ld] */
    uint64_t k_new, v_new;      /* F32 [rows][kv_ld], with APPEND */
    uint64_t k_cache, v_cache;
    uint64_t out;               /* F32 [rows][out_ld] */
    uint64_t pos;               /* I32, with POS_INDIRECT */
    uint64_t rsvd1[3];
};

/* ELTWISE: y = f(a, b) over rows x n F32 elements. */
enum lutc_elt_fn {
    LUTC_ELT_ADD       = 0,
    LUTC_ELT_MUL       = 1,
    LUTC_ELT_SILU      = 2,     /* unary */
    LUTC_ELT_SILU_MUL  = 3,     /* silu(a) * b */
    LUTC_ELT_RELU2     = 4,     /* unary */
    LUTC_ELT_RELU2_MUL = 5,     /* relu(a)^2 * b */
};
struct lutc_eltwise {
    uint8_t  op;
    uint8_t  fn;
    uint8_t  dtype;             /* F32 */
    uint8_t  rsvd0;
    uint32_t flags;             /* none defined */
    uint32_t rows, n;
    uint32_t a_ld, b_ld, y_ld;
    uint32_t rsvd1;
    uint64_t a, b, y;           /* b is zero for unary functions */
    uint64_t rsvd2[9];
};

/* ARGMAX: first index of the largest non-NaN value of each row. */
#define LUTC_ARGMAX_VALUE       (1u << 0)       /* also store the maximum */
struct lutc_argmax {
    uint8_t  op;
    uint8_t  dtype;             /* F32 */
    uint8_t  rsvd0[2];
    uint32_t flags;
    uint32_t rows, n, ld;
    uint32_t rsvd1;
    uint64_t in;
    uint64_t out;               /* I32 [rows] */
    uint64_t out_val;           /* F32 [rows], LUTC_ARGMAX_VALUE */
    uint64_t rsvd2[10];
};

/* SOFTMAX: y = softmax(x * scale) per row. In place allowed. */
struct lutc_softmax {
    uint8_t  op;
    uint8_t  dtype;             /* F32 */
    uint8_t  rsvd0[2];
    uint32_t flags;             /* none defined */
    uint32_t rows, n;
    uint32_t in_ld, out_ld;
    float    scale;
    uint32_t rsvd1;
    uint64_t in, out;
    uint64_t rsvd2[10];
};

union lutc_insn {
    struct lutc_insn_hdr hdr;
    struct lutc_signal signal;
    struct lutc_copy copy;
    struct lutc_precomp precomp;
    struct lutc_lmma lmma;
    struct lutc_epilogue epi;
    struct lutc_embed embed;
    struct lutc_rmsnorm rmsnorm;
    struct lutc_rope rope;
    struct lutc_attn attn;
    struct lutc_eltwise elt;
    struct lutc_argmax argmax;
    struct lutc_softmax softmax;
    uint8_t bytes[LUTC_INSN_SIZE];
};

#define LUTC_ISA_CHECK_SIZE(s) \
    _Static_assert(sizeof(struct s) == LUTC_INSN_SIZE, #s " size")
LUTC_ISA_CHECK_SIZE(lutc_signal);
LUTC_ISA_CHECK_SIZE(lutc_copy);
LUTC_ISA_CHECK_SIZE(lutc_precomp);
LUTC_ISA_CHECK_SIZE(lutc_lmma);
LUTC_ISA_CHECK_SIZE(lutc_epilogue);
LUTC_ISA_CHECK_SIZE(lutc_embed);
LUTC_ISA_CHECK_SIZE(lutc_rmsnorm);
LUTC_ISA_CHECK_SIZE(lutc_rope);
LUTC_ISA_CHECK_SIZE(lutc_attn);
LUTC_ISA_CHECK_SIZE(lutc_eltwise);
LUTC_ISA_CHECK_SIZE(lutc_argmax);
LUTC_ISA_CHECK_SIZE(lutc_softmax);
_Static_assert(sizeof(union lutc_insn) == LUTC_INSN_SIZE, "insn size");

/* ---- Operand size helpers (shared by the engine, library and tests) ----- */

static inline uint32_t lutc_wfmt_planes(uint32_t wfmt)
{
    if (wfmt >= LUTC_WF_INT1 && wfmt <= LUTC_WF_INT4) {
        return wfmt;
    }
    return wfmt == LUTC_WF_TERNARY ? 2 : 0;
}

static inline uint32_t lutc_ngroups(uint32_t k, uint32_t group)
{
    return group ? (k + group - 1) / group : 1;
}

/* Bytes of packed weights for n rows of k weights. */
static inline uint64_t lutc_weight_bytes(uint32_t n, uint32_t k,
                                         uint32_t wfmt)
{
    return (uint64_t)((n + LUTC_TILE_N - 1) / LUTC_TILE_N) *
           ((k + LUTC_GROUP_K - 1) / LUTC_GROUP_K) *
           lutc_wfmt_planes(wfmt) * LUTC_PLANE_BYTES;
}

static inline uint32_t lutc_dtype_size(uint32_t dt)
{
    switch (dt) {
    case LUTC_DT_F32:
    case LUTC_DT_I32:
        return 4;
    case LUTC_DT_F16:
    case LUTC_DT_BF16:
    case LUTC_DT_I16:
        return 2;
    case LUTC_DT_I8:
    case LUTC_DT_U8:
        return 1;
    default:
        return 0;
    }
}

/* Bytes of precomputed tables for m rows of k activations. */
static inline uint64_t lutc_table_bytes(uint32_t m, uint32_t k,
                                        uint32_t table_dtype)
{
    return (uint64_t)m * ((k + LUTC_GROUP_K - 1) / LUTC_GROUP_K) *
           LUTC_TABLE_ENTRIES * lutc_dtype_size(table_dtype);
}

#endif /* LUTCORE_ISA_H */
