# Empty compiler generated dependencies file for test_conversation.
# This may be replaced when dependencies are built.
