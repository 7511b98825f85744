"""Reports: simulations -> electoral-vote / seat distributions, plots, and a self-contained HTML page."""
