#include "CYAMLShims.h"

#include <dlfcn.h>
#include <pthread.h>

static struct {
    int (*parser_initialize)(yaml_parser_t *);
    void (*set_input_string)(yaml_parser_t *, const unsigned char *, size_t);
    int (*parse)(yaml_parser_t *, yaml_event_t *);
    void (*event_delete)(yaml_event_t *);
    void (*parser_delete)(yaml_parser_t *);
} yaml;
static pthread_once_t yaml_once = PTHREAD_ONCE_INIT;

static void load_yaml(void)
{
    /* RTLD_LOCAL: its symbols stay out of the process's global scope. */
    void *library = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        return;
    *(void **)&yaml.parser_initialize = dlsym(library, "yaml_parser_initialize");
    *(void **)&yaml.set_input_string = dlsym(library, "yaml_parser_set_input_string");
    *(void **)&yaml.event_delete = dlsym(library, "yaml_event_delete");
    *(void **)&yaml.parser_delete = dlsym(library, "yaml_parser_delete");
    *(void **)&yaml.parse = dlsym(library, "yaml_parser_parse");
    if (yaml.parser_initialize == NULL || yaml.set_input_string == NULL || yaml.event_delete == NULL ||
        yaml.parser_delete == NULL)
        yaml.parse = NULL; /* all or nothing: chss_yaml_load checks parse */
}

int chss_yaml_load(void)
{
    pthread_once(&yaml_once, load_yaml);
    return yaml.parse != NULL;
}

int chss_yaml_parser_initialize(yaml_parser_t *parser)
{
    return yaml.parser_initialize(parser);
}

void chss_yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size)
{
    yaml.set_input_string(parser, input, size);
}

int chss_yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event)
{
    return yaml.parse(parser, event);
}

void chss_yaml_event_delete(yaml_event_t *event)
{
    yaml.event_delete(event);
}

void chss_yaml_parser_delete(yaml_parser_t *parser)
{
    yaml.parser_delete(parser);
}
