#include "store/blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_blob_valid_name(const char *hex)
{
    if (!hex || strlen(hex) != 64)
        return 0;
    for (const char *p = hex; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int sb_blob_put(const char *data_dir, const void *data, size_t len, char hex[65])
{
    unsigned char digest[32];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    char dir[4096], path[4200], tmp[4300];
    snprintf(dir, sizeof dir, "%s/blobs", data_dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    snprintf(dir, sizeof dir, "%s/blobs/%.2s", data_dir, hex);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, hex);
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size == len)
        return 0; /* already stored */
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%ld-%u", dir, hex, (long)getpid(), randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) < 0)
        goto fail;
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    return fsync_dir(dir);
fail:
    if (fd >= 0)
        close(fd);
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return -1;
}

int sb_blob_get(const char *data_dir, const char *hex, size_t max, char **data, size_t *len)
{
    if (!sb_blob_valid_name(hex)) {
        errno = EINVAL;
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/blobs/%.2s/%s", data_dir, hex, hex);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

long long sb_blob_size(const char *data_dir, const char *hex)
{
    if (!sb_blob_valid_name(hex))
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/blobs/%.2s/%s", data_dir, hex, hex);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}
