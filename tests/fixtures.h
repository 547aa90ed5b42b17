/* fixtures.h -- a small taxonomy and scenario whose scores were worked out
 * by hand (see test_scenario.c for the arithmetic). */
#ifndef TS_FIXTURES_H
#define TS_FIXTURES_H

static const char FIX_TAXONOMY[] =
    "id = \"t\"; name = \"Test index\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "classes = ( { name = \"Low\"; }, { name = \"High\"; min = 5.0; } );\n"
    "children = (\n"
    "  { id = \"a\"; name = \"Alpha\"; weight = 1.0; children = (\n"
    "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"X1 source\"; },\n"
    "      { id = \"x2\"; direction = \"protective\"; } ); },\n"
    "  { id = \"b\"; name = \"Beta\"; weight = 3.0; aggregate = \"geometric\"; children = (\n"
    "      { id = \"y1\"; direction = \"risk\"; goalposts = [0.0, 100.0]; column = \"Y one\"; },\n"
    "      { id = \"y2\"; direction = \"risk\"; } ); }\n"
    ");\n";

/* The scenario head: units and data; tests append overrides. */
#define FIX_SCENARIO_HEAD                                                         \
    "name = \"Fixture\";\n"                                                       \
    "taxonomy = \"tax.cfg\";\n"                                                   \
    "units = ( { id = \"P\"; name = \"Pe\"; }, { id = \"Q\"; }, { id = \"R\"; } );\n" \
    "data = (\n"                                                                  \
    "  { indicator = \"x1\"; year = 2020; source = \"s1\"; values = { P = 2; Q = 8.0; R = 5; }; },\n" \
    "  { indicator = \"x2\"; year = 2020; source = \"s2\"; values = { P = 10; Q = 20; R = 30; }; },\n" \
    "  { indicator = \"y1\"; year = 2021; source = \"s3\"; values = { P = 50; Q = 100; }; },\n"        \
    "  { indicator = \"y2\"; year = 2019; source = \"s4\"; values = { P = 1; Q = 3; R = 2; }; }\n"     \
    ");\n"

#define FIX_CSV                      \
    "id,name,x1,x2,Y one,y2,other\n" \
    "P,Pe,2,10,50,1,zzz\n"           \
    "Q,Q,8,20,100,3,\n"              \
    "R,R,5,30,NA,2,x\n"

#endif
