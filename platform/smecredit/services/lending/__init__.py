"""Credit lifecycle use cases: applications, disbursement, repayments, COB, ledger checks."""
