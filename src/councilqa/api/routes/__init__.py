"""One router per resource: search (search, ask), documents (reports, initiatives,
councils, sections), service (health, the page)."""
