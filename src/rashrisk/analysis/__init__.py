"""The source study's analysis (``rashrisk analyze``) as pure functions on the Cohort tables."""

from rashrisk.analysis.study import analyze_cohort, analyze_tables

__all__ = ["analyze_cohort", "analyze_tables"]
