/* main.c -- the threatscore executable. */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv) {
    return ts_cli_main(argc, argv, stdout, stderr);
}
