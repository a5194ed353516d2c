/* hookfan-admin's printing; see output.h. */
#include "output.h"

#include <stdio.h>
#include <string.h>

static void
print_value(json_object *value)
{
	if (json_object_is_type(value, json_type_string))
		fputs(json_object_get_string(value), stdout);
	else if (value == NULL)
		fputs("-", stdout);
	else
		fputs(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN),
		      stdout);
}

/*
 * A value of a list row, name=value: a string that would not read back as
 * one word (empty, or with a space, '=' or '"' in it) in double quotes,
 * escaped as in JSON.
 */
static void
print_field(json_object *value)
{
	const char *s = json_object_is_type(value, json_type_string)
			? json_object_get_string(value) : NULL;

	if (s != NULL && (s[0] == '\0' || strpbrk(s, " \t\r\n=\"\\") != NULL))
		fputs(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE),
		      stdout);
	else
		print_value(value);
}

void
output_object(json_object *obj, bool as_json)
{
	if (as_json) {
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	} else {
		json_object_object_foreach(obj, key, value) {
			(void)key;
			print_value(value);
			putchar('\n');
		}
	}
	json_object_put(obj);
}

void
output_list(json_object *array, const char *key, bool as_json)
{
	size_t i, n = json_object_array_length(array);

	if (as_json) {
		json_object *wrapper = json_object_new_object();

		json_object_object_add(wrapper, key, array);
		puts(json_object_to_json_string_ext(wrapper, JSON_C_TO_STRING_PLAIN));
		json_object_put(wrapper);
		return;
	}
	for (i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(array, i);
		bool first = true;

		json_object_object_foreach(row, name, value) {
			printf("%s%s=", first ? "" : " ", name);
			print_field(value);
			first = false;
		}
		putchar('\n');
	}
	json_object_put(array);
}
