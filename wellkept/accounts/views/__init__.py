"""The accounts pages by audience: ``account`` (each person's own), ``manage`` (invitations)."""
