"""What users touch after training: suggestion API, batch reclassification, « autre » monitoring, emerging
reasons, review UI, reports, storage. Imports pipeline and taxonomy — never training."""
