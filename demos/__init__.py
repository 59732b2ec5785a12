"""Reproductions of the figures and numbers of Higham & Higham (2019) and Goodfellow et al. ch. 6."""
