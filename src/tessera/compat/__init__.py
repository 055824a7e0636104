"""The source documents' paths, each a thin router over the same services."""
