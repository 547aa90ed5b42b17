/* main.c -- the threatscore executable: every command, plot included, is
 * dispatched by ts_cli_main (cli.c). */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv) {
    return ts_cli_main(argc, argv, stdout, stderr);
}
