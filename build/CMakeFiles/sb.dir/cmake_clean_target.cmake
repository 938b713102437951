file(REMOVE_RECURSE
  "libsb.a"
)
