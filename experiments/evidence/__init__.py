"""The validation page: every published figure the model is checked against, beside what the model gives."""
