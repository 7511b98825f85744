"""Backtests: replay past cycles as they stood on a given day and score the forecasts."""
