/* The web form's configuration in settings. Submissions are ordinary conversation creates
 * (sb_svc_conv_create with channel "webform" and fields_json). */
#include <stdlib.h>

#include "core/webform.h"
#include "service/internal.h"

#define SETTING_KEY "webform"

sb_err sb_svc_webform_config_put(sb_db *w, void *arg)
{
    sb_webform_config_op *op = arg;
    sb_err err = sb_store_setting_put(w, SETTING_KEY, op->config_json);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "could not store the form configuration");
    return SB_OK;
}

json_t *sb_svc_webform_config(sb_db *db)
{
    char *text = db ? sb_store_setting_get(db, SETTING_KEY) : NULL;
    json_t *config = NULL;
    if (text) {
        /* Stored only after validation; parse again so an older layout gets today's defaults. */
        json_t *raw = json_loads(text, 0, NULL);
        char field[64], msg[256];
        config = raw ? sb_webform_config_parse(raw, field, sizeof field, msg, sizeof msg) : NULL;
        json_decref(raw);
        free(text);
    }
    return config ? config : sb_webform_config_default();
}
