/* placeholder: the chat widget lands here */
