/*
 * web_api.h - the JSON API under /api/: the same read model as the
 * pages, through the model's JSON encoders (one shape per type, one
 * score shape), every list as {"items", "page", "limit", "more"}.
 */
#ifndef KFLAKE_WEB_API_H
#define KFLAKE_WEB_API_H

#include "web_req.h"

int web_api_running(struct web_req *r);
int web_api_runs(struct web_req *r);
int web_api_run(struct web_req *r);
int web_api_iteration(struct web_req *r);
int web_api_tests(struct web_req *r);
int web_api_changes(struct web_req *r);
int web_api_test(struct web_req *r);
int web_api_crashes(struct web_req *r);
int web_api_crash(struct web_req *r);
int web_api_series_list(struct web_req *r);
int web_api_series(struct web_req *r);
int web_api_bisects(struct web_req *r);
int web_api_bisect(struct web_req *r);

#endif
