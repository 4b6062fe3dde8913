/*
 * web_matrix.h - the Matrix page and /api/matrix (web_matrix.c): test x
 * kernel for the kernels CI tested (matrix.h).
 */
#ifndef KFLAKE_WEB_MATRIX_H
#define KFLAKE_WEB_MATRIX_H

#include "web_req.h"

int web_page_matrix(struct web_req *r);
int web_api_matrix(struct web_req *r);

#endif
