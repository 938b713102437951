file(REMOVE_RECURSE
  "CMakeFiles/switchboard.dir/src/main.c.o"
  "CMakeFiles/switchboard.dir/src/main.c.o.d"
  "switchboard"
  "switchboard.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/switchboard.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
