"""trialex: clinical review PDFs into checked, curated trial data."""

__version__ = "0.1.0"
