"""CatBoost probability-of-default model for smecredit (see :mod:`.model`)."""
