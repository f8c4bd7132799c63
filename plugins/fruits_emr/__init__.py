"""fruits_emr: the library behind the fruits-emr Airflow DAG (config, EMR builders, cost model, checks)."""
