/* The service clock. Production reads the wall clock; `serve --test-clock` lets end-to-end
 * tests move time (SLA timers, auto-close, reports) instead of sleeping. */
#include <stdatomic.h>

#include "service/service.h"
#include "util/time.h"

static atomic_bool test_enabled;
static _Atomic int64_t offset_ms;

int64_t sb_now(void)
{
    return sb_time_now_ms() + atomic_load_explicit(&offset_ms, memory_order_relaxed);
}

void sb_clock_enable_test(void)
{
    atomic_store(&test_enabled, true);
}

bool sb_clock_test_enabled(void)
{
    return atomic_load(&test_enabled);
}

void sb_clock_set(int64_t now_ms)
{
    if (atomic_load(&test_enabled))
        atomic_store(&offset_ms, now_ms - sb_time_now_ms());
}
