file(REMOVE_RECURSE
  "CMakeFiles/test_conversation.dir/tests/unit/core/test_conversation.c.o"
  "CMakeFiles/test_conversation.dir/tests/unit/core/test_conversation.c.o.d"
  "test_conversation"
  "test_conversation.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_conversation.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
