"""Firm staff: granting and revoking the firm_admin and firm_operator roles."""
