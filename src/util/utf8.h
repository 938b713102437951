/* UTF-8 encoding of one code point. */
#ifndef SB_UTIL_UTF8_H
#define SB_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Writes c (a valid code point) as 1-4 bytes to out; returns how many. */
size_t sb_utf8_put(uint32_t c, char out[4]);

#endif
