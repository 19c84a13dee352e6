"""News-aware results, measured on real ground truth (issue 13): see each script's docstring."""
