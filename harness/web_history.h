/*
 * web_history.h - the pages and endpoints of history (web_history.c):
 * change-point alerts, stalls by class, and the JUnit and KCIDB exports.
 */
#ifndef KFLAKE_WEB_HISTORY_H
#define KFLAKE_WEB_HISTORY_H

#include "web_req.h"

int web_page_alerts(struct web_req *r);
int web_page_alert(struct web_req *r);
int web_page_stalls(struct web_req *r);
int web_api_alerts(struct web_req *r);
int web_api_alert(struct web_req *r);
int web_api_stalls(struct web_req *r);
int web_api_export_junit(struct web_req *r);
int web_api_export_kcidb(struct web_req *r);

#endif
