/* The route table: adding an endpoint is adding a row. */
#include "api/api.h"

/* Rows may leave trailing fields out (they are zero); the few that need them are designated. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define CONV "/api/v1/conversations"

const sb_route sb_routes[] = {
    {"GET", "/healthz", sb_api_healthz, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/metrics", sb_api_metrics, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/api/v1/openapi.json", sb_api_openapi, NULL, SB_AUTH_PUBLIC, NULL, false},

    {"POST", "/api/v1/auth/login", sb_api_login, sb_api_login_finish, SB_AUTH_PUBLIC, NULL, false},
    {"POST", "/api/v1/auth/logout", sb_api_logout, sb_api_logout_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/auth/me", sb_api_me, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/tokens", sb_api_token_create, sb_api_token_create_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/tokens", sb_api_tokens_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"DELETE", "/api/v1/tokens/{id}", sb_api_token_revoke, sb_api_token_revoke_finish, SB_AUTH_TRAINEE, NULL, false},

    {"GET", CONV, sb_api_conversations_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", CONV, sb_api_conversation_create, sb_api_conversation_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", CONV "/{id}", sb_api_conversation_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", CONV "/{id}", sb_api_conversation_update, sb_api_conversation_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", CONV "/{id}/messages", sb_api_messages_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", CONV "/{id}/messages", sb_api_message_create, sb_api_message_finish, SB_AUTH_TRAINEE, NULL, false},

    {"GET", "/api/v1/search", sb_api_search, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/events", sb_api_events, NULL, SB_AUTH_TRAINEE, NULL, false},

    {"GET", "/api/v1/agents", sb_api_agents_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/agents", sb_api_agent_create, sb_api_entity_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/agents/{id}", sb_api_agent_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/agents/{id}", sb_api_agent_update, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL, false},
    {"DELETE", "/api/v1/agents/{id}", sb_api_agent_delete, sb_api_entity_finish, SB_AUTH_ADMIN, NULL, false},

    /* routing (issue 5 B) */
    {"PUT", "/api/v1/agents/me/status", sb_api_agent_status_set, sb_api_agent_status_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/teams/{id}/oncall", sb_api_team_oncall, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/routing-rules", sb_api_rules_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/routing-rules", sb_api_rule_create, sb_api_rule_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"GET", "/api/v1/routing-rules/{id}", sb_api_rule_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/routing-rules/{id}", sb_api_rule_update, sb_api_rule_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"DELETE", "/api/v1/routing-rules/{id}", sb_api_rule_delete, sb_api_rule_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"POST", CONV "/{id}/route", sb_api_conversation_route, sb_api_conversation_route_finish, SB_AUTH_TRAINEE, NULL, false},
    {"POST", CONV "/{id}/escalate", sb_api_conversation_escalate, sb_api_conversation_escalate_finish, SB_AUTH_TRAINEE, NULL, false},

    {"GET", "/api/v1/teams", sb_api_teams_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/teams", sb_api_team_create, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"GET", "/api/v1/teams/{id}", sb_api_team_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/teams/{id}", sb_api_team_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"DELETE", "/api/v1/teams/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},

    {"GET", "/api/v1/organizations", sb_api_orgs_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/organizations", sb_api_org_create, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"GET", "/api/v1/organizations/{id}", sb_api_org_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/organizations/{id}", sb_api_org_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"DELETE", "/api/v1/organizations/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},

    {"GET", "/api/v1/contacts", sb_api_contacts_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/contacts", sb_api_contact_create, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/contacts/{id}", sb_api_contact_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/contacts/{id}", sb_api_contact_update, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL, false},
    {"DELETE", "/api/v1/contacts/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},

    {"GET", "/api/v1/tags", sb_api_tags_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/tags", sb_api_tag_create, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/tags/{id}", sb_api_tag_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/tags/{id}", sb_api_tag_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},
    {"DELETE", "/api/v1/tags/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL, false},

    {"POST", "/api/v1/inbound/email", sb_api_inbound_email, sb_api_inbound_email_finish, SB_AUTH_AGENT, NULL, true},
    {"GET", "/api/v1/mailboxes", sb_api_mailboxes_list, NULL, SB_AUTH_SUPERVISOR, NULL, false},
    {"POST", "/api/v1/mailboxes", sb_api_mailbox_create, sb_api_mailbox_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/mailboxes/{id}", sb_api_mailbox_get, NULL, SB_AUTH_SUPERVISOR, NULL, false},
    {"PATCH", "/api/v1/mailboxes/{id}", sb_api_mailbox_update, sb_api_mailbox_finish, SB_AUTH_ADMIN, NULL, false},
    {"DELETE", "/api/v1/mailboxes/{id}", sb_api_mailbox_delete, sb_api_mailbox_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/attachments/{id}", sb_api_attachment_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/blobs/*", sb_api_blob_get, NULL, SB_AUTH_TRAINEE, "/api/v1/blobs/{sha256}", false},
    {"GET", "/api/v1/messages/{id}/raw", sb_api_message_raw, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/uploads", sb_api_upload, NULL, SB_AUTH_TRAINEE, NULL, true},

    /* workspace */
    {"GET", "/api/v1/views", sb_api_view_counts, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/messages/{id}/html", sb_api_message_html, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", CONV "/{id}/presence", sb_api_presence, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/notifications", sb_api_notifications_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/notifications/read", sb_api_notifications_read, sb_api_notifications_read_finish, SB_AUTH_TRAINEE, NULL, false},
    /* web form: public pages and submissions (bodies up to SB_WEBFORM_BODY_MAX), admin settings */
    {"GET", "/contact", sb_api_webform_page, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/contact.css", sb_api_webform_css, NULL, SB_AUTH_PUBLIC, NULL, false},
    {.method = "POST", .pattern = "/contact", .handler = sb_api_webform_submit, .finish = sb_api_webform_submit_finish,
     .auth = SB_AUTH_PUBLIC, .raw_body = true, .public_max_body = SB_WEBFORM_BODY_MAX},
    {.method = "POST", .pattern = "/api/v1/webform", .handler = sb_api_webform_json, .finish = sb_api_webform_json_finish,
     .auth = SB_AUTH_PUBLIC, .public_max_body = SB_WEBFORM_BODY_MAX},
    {"GET", "/api/v1/settings/webform", sb_api_webform_config_get, NULL, SB_AUTH_ADMIN, NULL, false},
    {"PUT", "/api/v1/settings/webform", sb_api_webform_config_put, sb_api_webform_config_put_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/", sb_api_static_index, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/assets/*", sb_api_static_asset, NULL, SB_AUTH_PUBLIC, "/assets/{file}", false},
    {"GET", "/widget.js", sb_api_static_widget_js, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/widget.css", sb_api_static_widget_css, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/widget-demo", sb_api_static_widget_demo, NULL, SB_AUTH_PUBLIC, NULL, false},
    /* SLA, after-hours, CSAT (issue 5 part A; api/sla.c) */
    {"GET", "/api/v1/calendars", sb_api_calendars_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/calendars", sb_api_calendar_create, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/calendars/{id}", sb_api_calendar_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/calendars/{id}", sb_api_calendar_update, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"DELETE", "/api/v1/calendars/{id}", sb_api_calendar_delete, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/sla-policies", sb_api_sla_policies_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"POST", "/api/v1/sla-policies", sb_api_sla_policy_create, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/sla-policies/{id}", sb_api_sla_policy_get, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"PATCH", "/api/v1/sla-policies/{id}", sb_api_sla_policy_update, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"DELETE", "/api/v1/sla-policies/{id}", sb_api_sla_policy_delete, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/webhooks", sb_api_webhooks_list, NULL, SB_AUTH_ADMIN, NULL, false},
    {"POST", "/api/v1/webhooks", sb_api_webhook_create, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/webhooks/{id}", sb_api_webhook_get, NULL, SB_AUTH_ADMIN, NULL, false},
    {"PATCH", "/api/v1/webhooks/{id}", sb_api_webhook_update, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"DELETE", "/api/v1/webhooks/{id}", sb_api_webhook_delete, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/after-hours/*", sb_api_after_hours_get, NULL, SB_AUTH_SUPERVISOR, "/api/v1/after-hours/{scope}", false},
    {"PUT", "/api/v1/after-hours/*", sb_api_after_hours_put, sb_api_sla_config_finish, SB_AUTH_ADMIN, "/api/v1/after-hours/{scope}", false},
    {"GET", "/api/v1/sla-settings", sb_api_sla_settings_get, NULL, SB_AUTH_SUPERVISOR, NULL, false},
    {"PATCH", "/api/v1/sla-settings", sb_api_sla_settings_update, sb_api_sla_config_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", "/api/v1/csat", sb_api_csat_list, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/r/*", sb_api_public_resolution_page, NULL, SB_AUTH_PUBLIC, "/r/{token}", false},
    {"POST", "/r/*", sb_api_public_resolution_post, sb_api_public_resolution_finish, SB_AUTH_PUBLIC, "/r/{token}", true},
    /* visitor level: the chat widget calls these from other sites (CORS); the signed token is the credential */
    {"POST", "/api/v1/public/resolution", sb_api_public_resolution_json, sb_api_public_resolution_finish, SB_AUTH_VISITOR, NULL, false},
    {"GET", "/csat/*", sb_api_public_csat_page, sb_api_public_csat_finish, SB_AUTH_PUBLIC, "/csat/{token}", false},
    {"POST", "/csat/*", sb_api_public_csat_post, sb_api_public_csat_finish, SB_AUTH_PUBLIC, "/csat/{token}", true},
    {"POST", "/api/v1/public/csat", sb_api_public_csat_json, sb_api_public_csat_finish, SB_AUTH_VISITOR, NULL, false},
    /* reports (api/reports.c); agents see only their own figures */
    {"GET", "/api/v1/reports/volume", sb_api_report_volume, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/times", sb_api_report_times, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/sla", sb_api_report_sla, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/csat", sb_api_report_csat, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/backlog", sb_api_report_backlog, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/heatmap", sb_api_report_heatmap, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/categories", sb_api_report_categories, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/tags", sb_api_report_tags, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/agents", sb_api_report_agents, NULL, SB_AUTH_TRAINEE, NULL, false},
    {"GET", "/api/v1/reports/settings", sb_api_report_settings_get, NULL, SB_AUTH_SUPERVISOR, NULL, false},
    {"PUT", "/api/v1/reports/settings", sb_api_report_settings_put, sb_api_report_settings_finish, SB_AUTH_ADMIN, NULL, false},
    /* 404 unless `serve --test-clock` */
    {"GET", "/api/v1/_test/clock", sb_api_test_clock_get, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"PUT", "/api/v1/_test/clock", sb_api_test_clock_set, NULL, SB_AUTH_PUBLIC, NULL, false},

    /* chat widget: admin settings; the visitor API (CORS, X-Visitor-Token), see docs/widget.md */
#define WIDGET "/api/v1/widget"
    {"GET", "/widget-demo.css", sb_api_static_widget_demo_css, NULL, SB_AUTH_PUBLIC, NULL, false},
    {"GET", "/api/v1/settings/widget", sb_api_widget_settings_get, sb_api_widget_settings_finish, SB_AUTH_ADMIN, NULL, false},
    {"PUT", "/api/v1/settings/widget", sb_api_widget_settings_put, sb_api_widget_settings_finish, SB_AUTH_ADMIN, NULL, false},
    {"POST", "/api/v1/settings/widget/rotate-secret", sb_api_widget_secret_rotate, sb_api_widget_settings_finish, SB_AUTH_ADMIN, NULL, false},
    {"GET", WIDGET "/config", sb_api_widget_config, NULL, SB_AUTH_VISITOR, NULL, false},
    {"POST", WIDGET "/session", sb_api_widget_session, sb_api_widget_session_finish, SB_AUTH_VISITOR, NULL, false},
    {"GET", WIDGET "/me", sb_api_widget_me, NULL, SB_AUTH_VISITOR, NULL, false},
    {"PATCH", WIDGET "/me", sb_api_widget_me_update, sb_api_widget_me_finish, SB_AUTH_VISITOR, NULL, false},
    {"GET", WIDGET "/conversations", sb_api_widget_conversations, NULL, SB_AUTH_VISITOR, NULL, false},
    {"POST", WIDGET "/conversations", sb_api_widget_conversation_start, sb_api_widget_conversation_start_finish, SB_AUTH_VISITOR, NULL, false},
    {"GET", WIDGET "/conversations/{id}", sb_api_widget_conversation_get, NULL, SB_AUTH_VISITOR, NULL, false},
    {"GET", WIDGET "/conversations/{id}/messages", sb_api_widget_messages, NULL, SB_AUTH_VISITOR, NULL, false},
    {"POST", WIDGET "/conversations/{id}/messages", sb_api_widget_message_create, sb_api_widget_message_finish, SB_AUTH_VISITOR, NULL, false},
    {"POST", WIDGET "/uploads", sb_api_widget_upload, NULL, SB_AUTH_VISITOR, NULL, true},
    {"GET", WIDGET "/attachments/{id}", sb_api_widget_attachment, NULL, SB_AUTH_VISITOR, NULL, false},
    {"POST", WIDGET "/typing", sb_api_widget_typing, NULL, SB_AUTH_VISITOR, NULL, false},
    {"GET", WIDGET "/events", sb_api_widget_events, NULL, SB_AUTH_VISITOR, NULL, false},
#undef WIDGET
};

const size_t sb_route_count = sizeof sb_routes / sizeof sb_routes[0];
