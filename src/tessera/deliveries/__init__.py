"""Card delivery tracking: courier CSV imports and the status they fold into."""
