/* The web form's structured answers on a conversation. */
#include "store/internal.h"
#include "store/store.h"

sb_err sb_store_conv_set_fields(sb_db *w, int64_t id, const char *fields_json)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE conversations SET fields_json = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, fields_json);
    sb_db_bind_int(s, 2, id);
    return step_done(s);
}
