#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

const char *sb_cli_opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

int sb_cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int sb_cli_check(int argc, char **argv, const char *const *with_value, const char *const *flags)
{
    for (int i = 0; i < argc; i++) {
        if (in_list(argv[i], with_value)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "switchboard: %s needs a value\n", argv[i]);
                return -1;
            }
            i++;
        } else if (!in_list(argv[i], flags)) {
            fprintf(stderr, "switchboard: unknown option \"%s\"\n", argv[i]);
            return -1;
        }
    }
    return 0;
}
