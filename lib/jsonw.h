/*
 * jsonw: a small escaping JSON writer into a struct buf, for the per-record
 * path (design.md section 9: jansson's encoder costs too much per record).
 * Input strings must be valid UTF-8; control characters, quote and
 * backslash are escaped, everything else is copied as is.
 */
#ifndef IR_JSONW_H
#define IR_JSONW_H

#include <stddef.h>

#include "buf.h"

/* Appends s (n bytes) as a quoted JSON string. */
int	jsonw_str(struct buf *, const char *s, size_t n);
/* 1 when s (n bytes) can go between JSON quotes as it is. */
int	jsonw_plain(const char *s, size_t n);

#endif
