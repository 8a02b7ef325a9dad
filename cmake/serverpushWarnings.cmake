# The warning level every target of this project (tests, examples,
# benchmarks) is built with; SERVERPUSH_WERROR turns warnings into errors.
function(serverpush_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(SERVERPUSH_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
