# Script mode: writes a C++ source holding every frames/*.jpg as a byte array,
# so the demo binary carries its frames and runs from any directory.
#   cmake -DFRAMES_DIR=<dir> -DOUTPUT=<file.cpp> -P embed_frames.cmake
file(GLOB frames ${FRAMES_DIR}/*.jpg)
list(SORT frames)
set(body "// Generated from ${FRAMES_DIR} by embed_frames.cmake. Do not edit.\n")
string(APPEND body "#include \"frames.hpp\"\n\nnamespace demo {\nnamespace {\n")
set(table "")
set(index 0)
foreach(frame IN LISTS frames)
  file(READ ${frame} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Break the array into lines of 32 bytes so the source stays readable.
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
  string(APPEND body "const unsigned char frame_${index}[] = {\n${bytes}\n};\n")
  string(APPEND table "    {frame_${index}, sizeof frame_${index}},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nconst embedded_frame builtin_frames[] = {\n${table}};\n")
string(APPEND body "const std::size_t builtin_frame_count = ${index};\n\n}  // namespace demo\n")
file(WRITE ${OUTPUT}.tmp "${body}")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
