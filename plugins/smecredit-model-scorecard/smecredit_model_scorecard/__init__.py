"""Logistic-regression scorecard model for smecredit (see :mod:`.model`)."""
