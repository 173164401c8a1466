/*
 * The sanitizers' settings, built into every test program by Tests/sanitize/cc
 * (the tests run their programs with a scrubbed environment, so ASAN_OPTIONS
 * and the like would not reach them). Every report goes to a file
 * HSS_SANITIZE_LOG/report.<pid>, and Tests/sanitize/run.sh requires that
 * directory to be empty at the end; a program with a report also exits
 * non-zero, so the test that ran it fails too. The sanitizers of one program
 * share log_path and exitcode, so only ASan's and TSan's settings name them.
 * Suppressions: Tests/sanitize/<lsan|ubsan|tsan>.supp.
 */
#ifndef HSS_SANITIZE_LOG
#error "built by Tests/sanitize/cc only"
#endif
#define LOG "log_path=" HSS_SANITIZE_LOG "/report"
#define SUPP(kind) "suppressions=" HSS_SANITIZE_SUPP "/" kind ".supp"

const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__ubsan_default_options(void);
const char *__tsan_default_options(void);

const char *__asan_default_options(void)
{
    return LOG ":detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1";
}

const char *__lsan_default_options(void)
{
    return SUPP("lsan");
}

const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1:" SUPP("ubsan");
}

const char *__tsan_default_options(void)
{
    return LOG ":halt_on_error=0:second_deadlock_stack=1:" SUPP("tsan");
}
