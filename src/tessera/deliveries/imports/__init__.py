"""Courier file imports: reading the files, storing them batch by batch, the jobs and reports."""
