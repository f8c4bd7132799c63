"""local_emr: a free local stand-in for AWS EMR + S3 in which EMR steps really run.

moto answers the S3 and EMR APIs; a step runner executes each ``command-runner.jar spark-submit``
step with the real local ``spark-submit`` and reports the outcome through the EMR API, so the very
same Airflow DAG runs locally and on AWS. Start it with ``python -m local_emr serve`` or, from
Python and pytest, with ``local_emr.server.running_emulator()``.
"""
