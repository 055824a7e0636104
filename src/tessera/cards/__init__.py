"""Cards: issued cards, their numbers and the pure rules every card obeys."""
