"""Pictures for people: contact sheets of frames with their labels drawn on."""
