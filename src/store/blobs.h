/* Content-addressed files (raw emails, attachments) under DATA/blobs/ab/<sha256>: written
 * once and durably (temporary file, fsync, rename, fsync of the directory), deduplicated by
 * their SHA-256. The database refers to them by the hex digest. */
#ifndef SB_STORE_BLOBS_H
#define SB_STORE_BLOBS_H

#include <stddef.h>

/* Stores data and writes its digest to hex. 0, or -1 with errno set. */
int sb_blob_put(const char *data_dir, const void *data, size_t len, char hex[65]);
/* Reads a blob of at most max bytes (malloc'd into *data). 0, or -1. */
int sb_blob_get(const char *data_dir, const char *hex, size_t max, char **data, size_t *len);
/* Size of a stored blob, or -1 when there is none. */
long long sb_blob_size(const char *data_dir, const char *hex);
/* True when hex is 64 lowercase hex digits (so it is safe in a path). */
int sb_blob_valid_name(const char *hex);

#endif
