"""Cell data (see PROVENANCE.md)."""
