/*
 * The ceiling for hookfan.fcgi in the benchmark: a FastCGI responder that
 * does the least any ingest program must do -- read the whole request body
 * and answer 202 with a small JSON body of the size hookfan answers -- and
 * nothing else (no parsing, no database).  It runs behind the same lighttpd,
 * with the same number of processes, driven by the same wrk client.
 *
 * Build: cc -O2 -o trivial_fcgi trivial_fcgi.c -lfcgi
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request req;
	static char buf[65536];
	unsigned long served = 0;

	if (FCGX_Init() != 0)
		return 1;
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		const char *cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		long left = cl ? strtol(cl, NULL, 10) : 0;
		int n;

		/* Read the announced body, then anything left in the stream. */
		while (left > 0 && (n = FCGX_GetStr(buf, (int)(left < (long)sizeof(buf) ? left : (long)sizeof(buf)), req.in)) > 0)
			left -= n;
		while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
			;
		served++;
		FCGX_FPrintF(req.out,
			     "Status: 202 Accepted\r\n"
			     "Content-Type: application/json\r\n\r\n"
			     "{\"message_id\":\"msg_%026lu\",\"status\":\"accepted\"}\n",
			     served);
		FCGX_Finish_r(&req);
	}
	return 0;
}
