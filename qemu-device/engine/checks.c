/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: descriptor validation helpers.
 *
 * Every instruction rejects reserved bits, unknown flags and operand
 * fields its flags do not use with LUTCORE_ERR_BAD_OPCODE, so that a later
 * ISA revision can give them a meaning without old streams changing
 * behaviour. Sizes, types and alignment are LUTCORE_ERR_BAD_OPERAND.
 */
#include "lut_engine_int.h"

bool lut_zero_bytes(const void *p, size_t len)
{
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i < len; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

bool lut_is_float_dtype(uint32_t dt)
{
    return dt == LUTC_DT_F32 || dt == LUTC_DT_F16 || dt == LUTC_DT_BF16;
}

int lut_check_unused(struct lut_ctx *c, bool used, uint64_t field)
{
    if (!used && field) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    return 0;
}

bool lut_dim_ok(uint32_t d)
{
    return d >= 1 && d <= LUTC_MAX_DIM;
}
