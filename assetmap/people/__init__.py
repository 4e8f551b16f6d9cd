"""Role-checked services about people: accounts, sign-in, plans, sessions, funds, grants."""
