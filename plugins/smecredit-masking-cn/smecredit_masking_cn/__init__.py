"""Chinese masking (脱敏) strategies for smecredit: ID numbers, phones, cards, names, ..."""
