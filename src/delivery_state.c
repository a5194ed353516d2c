/* The delivery and message statuses' names; see delivery_state.h. */
#include "delivery_state.h"

#include <stddef.h>
#include <string.h>

static const char *const status_names[] = {
	[HF_DELIVERY_PENDING] = "pending",
	[HF_DELIVERY_SENDING] = "sending",
	[HF_DELIVERY_SUCCEEDED] = "succeeded",
	[HF_DELIVERY_FAILED] = "failed",
	[HF_DELIVERY_PAUSED] = "paused",
};

const char *
hf_delivery_status_name(enum hf_delivery_status status)
{
	return status_names[status];
}

bool
hf_message_status_valid(const char *name)
{
	static const char *const names[] = {
		"pending", "delivered", "failed", "no_subscribers"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

bool
hf_delivery_status_parse(const char *name, enum hf_delivery_status *status)
{
	size_t i;

	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*status = (enum hf_delivery_status)i;
			return true;
		}
	}
	return false;
}
