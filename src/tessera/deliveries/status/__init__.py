"""Card delivery status: each card's current status and history, as couriers' files reported it."""
