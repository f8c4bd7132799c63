"""fruits_spark: the code the featurize and PCA Spark jobs share; shipped to the cluster with --py-files."""
