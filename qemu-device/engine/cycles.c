/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: the cycle model.
 *
 * One core's LUT array does one M x N x K bit-plane step (M2N64K4 by
 * default) per cycle, X times over (the array multiplier). An LMMA of
 * m x n x k with B planes therefore takes
 *     ceil(m/M) * ceil(n/N) * ceil(k/K) * B / X
 * cycles. Table precompute, epilogues and vector instructions run on the
 * vector unit at vector_lanes operations per cycle. engine.c adds the
 * issue overhead and takes the larger of compute and memory time (bytes /
 * mem_bytes_per_cycle): a roofline per instruction.
 */
#include "lut_engine_int.h"

uint64_t lut_cycles_lmma(const struct lut_engine_config *cfg, uint32_t m,
                         uint32_t n, uint32_t k, uint32_t planes)
{
    uint64_t steps = (uint64_t)LUT_DIV_UP(m, cfg->array_m) *
                     LUT_DIV_UP(n, cfg->array_n) *
                     LUT_DIV_UP(k, cfg->array_k) * planes;

    return LUT_DIV_UP(steps, cfg->array_mult);
}

double lut_macs_per_cycle(const struct lut_engine_config *cfg,
                          uint32_t planes)
{
    double macs = (double)cfg->array_m * cfg->array_n * cfg->array_k *
                  cfg->array_mult;

    return planes ? macs / planes : 0.0;
}

double lut_peak_ops(const struct lut_engine_config *cfg, uint32_t planes)
{
    return 2.0 * lut_macs_per_cycle(cfg, planes) * cfg->cores *
           cfg->clock_mhz * 1e6;
}

uint64_t lut_vector_cycles(const struct lut_engine_config *cfg, uint64_t ops)
{
    return LUT_DIV_UP(ops, cfg->vector_lanes);
}
