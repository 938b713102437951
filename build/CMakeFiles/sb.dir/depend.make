# Empty dependencies file for sb.
# This may be replaced when dependencies are built.
