"""The moderators' review queue: accounts, tokens, queue items, claims, decisions, audit."""
