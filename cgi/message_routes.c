/*
 * The message log's routes: messages, deliveries, attempts, resend and
 * retry, run by manage.c like manage_routes.c's.
 */
#include "router.h"

const struct route message_routes[] = {
	{ NULL, NULL, NULL, NULL }
};
