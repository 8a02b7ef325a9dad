#ifndef SERVERPUSH_DETAIL_CONFIG_HPP
#define SERVERPUSH_DETAIL_CONFIG_HPP

// The throwing overloads exist only where the compiler has exceptions; every
// operation also has an error_code form, so -fno-exceptions builds lose nothing.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define SERVERPUSH_HAS_EXCEPTIONS 1
#else
#define SERVERPUSH_HAS_EXCEPTIONS 0
#endif

#if __cplusplus >= 202002L && __has_include(<span>)
#define SERVERPUSH_HAS_SPAN 1
#else
#define SERVERPUSH_HAS_SPAN 0
#endif

#endif
