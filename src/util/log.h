/* Leveled logging to stderr. The macro checks the level before evaluating arguments. */
#ifndef SB_UTIL_LOG_H
#define SB_UTIL_LOG_H

enum { SB_LOG_ERROR = 0, SB_LOG_WARN, SB_LOG_INFO, SB_LOG_DEBUG };

extern int sb_log_level;

void sb_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sb_log(level, ...)                        \
    do {                                          \
        if ((level) <= sb_log_level)              \
            sb_log_write((level), __VA_ARGS__);   \
    } while (0)

#define sb_error(...) sb_log(SB_LOG_ERROR, __VA_ARGS__)
#define sb_warn(...) sb_log(SB_LOG_WARN, __VA_ARGS__)
#define sb_info(...) sb_log(SB_LOG_INFO, __VA_ARGS__)
#define sb_debug(...) sb_log(SB_LOG_DEBUG, __VA_ARGS__)

#endif
