"""The fidelity harness: what WordPress showed against what Zola will show."""
