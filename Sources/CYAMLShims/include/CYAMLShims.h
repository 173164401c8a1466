/* libyaml for the regions file: the types of its header only. */
#ifndef CYAMLSHIMS_H
#define CYAMLSHIMS_H

#include <yaml.h>

/* libyaml, for the regions file, is loaded with dlopen the first time one
 * is read, so that libhss.so.1 links only libc, libm, libgcc_s, libcurl and
 * libcrypto, and the system's libyaml (with its security updates) is the
 * one used. Returns 1 when libyaml-0.so.2 is there, 0 otherwise; then the
 * chss_yaml_* calls forward to it (and must not be made when it is not). */
int chss_yaml_load(void);
int chss_yaml_parser_initialize(yaml_parser_t *parser);
void chss_yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size);
int chss_yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event);
void chss_yaml_event_delete(yaml_event_t *event);
void chss_yaml_parser_delete(yaml_parser_t *parser);

#endif
