/*
 * GET /v1/openapi.json: the OpenAPI 3.1 document of every route, built
 * into the program from doc/openapi.json (openapi_doc.c is made from it
 * by make), so it answers the same document whether run from the build
 * tree or installed; the same file is installed in PKGDATADIR.
 */
#ifndef HF_CGI_OPENAPI_H
#define HF_CGI_OPENAPI_H

#include <stddef.h>

#include "router.h"

/* The document's bytes (no NUL among them) and their count. */
extern const unsigned char hf_openapi_document[];
extern const size_t hf_openapi_document_len;

/* GET, HEAD: 200 application/json, no key needed. */
route_serve_fn openapi_serve;

#endif
