"""MLflow "model from code" entry point of the `motifs-reasons` pyfunc.

MLflow copies this file into the logged model and runs it when the model is loaded (`mlflow models serve`,
`mlflow.pyfunc.load_model`, `spark_udf`): it only names the wrapper class, so no cloudpickle is stored.
"""

import mlflow

from pipeline.mlflow_model import MotifsPyfunc

mlflow.models.set_model(MotifsPyfunc())
