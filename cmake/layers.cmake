# SPDX-License-Identifier: Apache-2.0
# complyd's layers: one static library per stage of the pipeline.
#
#   complyd_layer(NAME DIRS folder... [DEPS layer...] [LINK target...] [SOURCES file...]
#                 [NO_UNITY])
#
# builds the .cpp files of the folders into NAME, links the layers below it
# (DEPS) and its external libraries (LINK), and compiles it against a view of
# the source tree that holds its own folders and those of every layer below:
# build/layers/NAME/<folder> are symbolic links to the sources. The source
# root itself is on no layer's include path, so `#include "daemon/store/..."`
# in the engine is "file not found": an include that runs upwards does not
# build.
#
# A layer compiles as a unity build, five files per batch: CLI11, Beast and
# nlohmann::json cost seconds per translation unit, paid once per batch
# instead of once per file (docs/benchmarks.md, "Build time"). NO_UNITY is
# for layers whose files deliberately repeat names in anonymous namespaces
# (each check's `evaluate`, each source's `parse` and `make`).
function(complyd_layer name)
  cmake_parse_arguments(L "NO_UNITY" "" "DIRS;DEPS;LINK;SOURCES" ${ARGN})
  set(sources ${L_SOURCES})
  foreach(dir IN LISTS L_DIRS)
    file(GLOB found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cpp)
    list(APPEND sources ${found})
  endforeach()
  add_library(${name} STATIC ${sources})
  if(COMPLYD_UNITY_BUILD AND NOT L_NO_UNITY)
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 5)
  endif()
  target_link_libraries(${name} PUBLIC ${L_DEPS} ${L_LINK})
  set(visible ${L_DIRS})
  foreach(dep IN LISTS L_DEPS)
    get_target_property(below ${dep} COMPLYD_LAYER_DIRS)
    list(APPEND visible ${below})
  endforeach()
  list(REMOVE_DUPLICATES visible)
  set_target_properties(${name} PROPERTIES COMPLYD_LAYER_DIRS "${visible}")
  complyd_layer_view(${name} ${name})
endfunction()

# Compiles TARGET against the view of LAYER (its folders and those below).
function(complyd_layer_view target layer)
  get_target_property(visible ${layer} COMPLYD_LAYER_DIRS)
  set(view ${CMAKE_BINARY_DIR}/layers/${target})
  file(REMOVE_RECURSE ${view})
  foreach(dir IN LISTS visible)
    get_filename_component(parent ${view}/${dir} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${dir} ${view}/${dir} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PRIVATE ${view})
endfunction()
