"""Errors of the training layer. Messages never echo a caller's free text (it may hold personal data)."""


class TrainingError(Exception):
    """Base class of every training error."""


class InvalidDemoSettings(TrainingError):
    """The demo corpus generator was given impossible settings (rows, weeks, output file)."""


class InvalidSplit(TrainingError):
    """Data cannot be split as asked (too few rows, reasons or dates; a fraction out of range)."""


class CalibrationError(TrainingError):
    """An abstention threshold cannot be chosen (no validation data, inconsistent inputs)."""


class TrainingDataError(TrainingError):
    """The training or evaluation data cannot be used (missing column, too few rows, no label)."""


class TrainingConfigError(TrainingError):
    """The training configuration file is unreadable or holds an unexpected value."""


class TrackingError(TrainingError):
    """MLflow tracking or the model registry refused an operation."""
