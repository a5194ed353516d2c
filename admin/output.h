/*
 * What hookfan-admin prints on success: with --json one JSON object on
 * stdout; without it the new id alone on the first line, then each other
 * value on a line of its own.
 */
#ifndef HF_ADMIN_OUTPUT_H
#define HF_ADMIN_OUTPUT_H

#include <stdbool.h>

#include <json-c/json.h>

/* Print obj (consumed: its reference is dropped). Keys print in order. */
void output_object(json_object *obj, bool as_json);

/* Print a list of objects (consumed), one per line as "k=v ...", a value
 * with spaces, '=' or '"' in double quotes (escaped as in JSON); null is
 * "-". */
void output_list(json_object *array, const char *key, bool as_json);

#endif
