"""Users, passwords, API tokens and roles."""
