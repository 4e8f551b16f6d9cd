"""Role-checked services about people: accounts, sign-in, plans, sessions, privacy, serving."""
