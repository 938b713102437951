# Empty dependencies file for switchboard.
# This may be replaced when dependencies are built.
