/* SPDX-License-Identifier: MIT */
/*
 * lutcore-info's two output formats, apart from main() so that the host
 * tests can check them against a made-up device.
 */
#ifndef LUTCORE_INFO_PRINT_H
#define LUTCORE_INFO_PRINT_H

#include <stdio.h>

#include "lutcore/lutcore.h"

/* The capabilities of the device opened at node, as aligned text. */
void info_print_text(FILE *f, const char *node, const struct lut_caps *c);

/* The same as one JSON object; unknown PCI vendor or slot become null. */
void info_print_json(FILE *f, const char *node, const struct lut_caps *c);

#endif /* LUTCORE_INFO_PRINT_H */
