/* The route table: adding an endpoint is adding a row. */
#include "api/api.h"

#define CONV "/api/v1/conversations"

const sb_route sb_routes[] = {
    {"GET", "/healthz", sb_api_healthz, NULL, SB_AUTH_PUBLIC, NULL},
    {"GET", "/metrics", sb_api_metrics, NULL, SB_AUTH_PUBLIC, NULL},
    {"GET", "/api/v1/openapi.json", sb_api_openapi, NULL, SB_AUTH_PUBLIC, NULL},

    {"POST", "/api/v1/auth/login", sb_api_login, sb_api_login_finish, SB_AUTH_PUBLIC, NULL},
    {"POST", "/api/v1/auth/logout", sb_api_logout, sb_api_logout_finish, SB_AUTH_TRAINEE, NULL},
    {"GET", "/api/v1/auth/me", sb_api_me, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/tokens", sb_api_token_create, sb_api_token_create_finish, SB_AUTH_TRAINEE, NULL},

    {"GET", CONV, sb_api_conversations_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", CONV, sb_api_conversation_create, sb_api_conversation_finish, SB_AUTH_TRAINEE, NULL},
    {"GET", CONV "/{id}", sb_api_conversation_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", CONV "/{id}", sb_api_conversation_update, sb_api_conversation_finish, SB_AUTH_TRAINEE, NULL},
    {"GET", CONV "/{id}/messages", sb_api_messages_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", CONV "/{id}/messages", sb_api_message_create, sb_api_message_finish, SB_AUTH_TRAINEE, NULL},

    {"GET", "/api/v1/search", sb_api_search, NULL, SB_AUTH_TRAINEE, NULL},
    {"GET", "/api/v1/events", sb_api_events, NULL, SB_AUTH_TRAINEE, NULL},

    {"GET", "/api/v1/agents", sb_api_agents_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/agents", sb_api_agent_create, sb_api_entity_finish, SB_AUTH_ADMIN, NULL},
    {"GET", "/api/v1/agents/{id}", sb_api_agent_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", "/api/v1/agents/{id}", sb_api_agent_update, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL},
    {"DELETE", "/api/v1/agents/{id}", sb_api_agent_delete, sb_api_entity_finish, SB_AUTH_ADMIN, NULL},

    {"GET", "/api/v1/teams", sb_api_teams_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/teams", sb_api_team_create, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
    {"GET", "/api/v1/teams/{id}", sb_api_team_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", "/api/v1/teams/{id}", sb_api_team_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
    {"DELETE", "/api/v1/teams/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},

    {"GET", "/api/v1/organizations", sb_api_orgs_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/organizations", sb_api_org_create, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
    {"GET", "/api/v1/organizations/{id}", sb_api_org_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", "/api/v1/organizations/{id}", sb_api_org_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
    {"DELETE", "/api/v1/organizations/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},

    {"GET", "/api/v1/contacts", sb_api_contacts_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/contacts", sb_api_contact_create, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL},
    {"GET", "/api/v1/contacts/{id}", sb_api_contact_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", "/api/v1/contacts/{id}", sb_api_contact_update, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL},
    {"DELETE", "/api/v1/contacts/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},

    {"GET", "/api/v1/tags", sb_api_tags_list, NULL, SB_AUTH_TRAINEE, NULL},
    {"POST", "/api/v1/tags", sb_api_tag_create, sb_api_entity_finish, SB_AUTH_TRAINEE, NULL},
    {"GET", "/api/v1/tags/{id}", sb_api_tag_get, NULL, SB_AUTH_TRAINEE, NULL},
    {"PATCH", "/api/v1/tags/{id}", sb_api_tag_update, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
    {"DELETE", "/api/v1/tags/{id}", sb_api_entity_delete, sb_api_entity_finish, SB_AUTH_SUPERVISOR, NULL},
};

const size_t sb_route_count = sizeof sb_routes / sizeof sb_routes[0];
