#include <stdio.h>
int main(void) { fputs("usage: hookfan.fcgi (not yet implemented)\n", stderr); return 2; }
