"""Nightly retraining into a sparkcnn model registry, as an Airflow DAG (docs/retraining.md).

Needs apache-airflow-providers-apache-spark and a Spark connection (`spark_default`, its host the
master, e.g. yarn or spark://host:7077). The application jar is `mvn package`'s target/sparkcnn-VERSION.jar,
copied where the workers can read it. Retrain exits 0 when it published, rejected (the reason is in
its log and in `--list`) or had nothing to do (same data already trained), 1 when it failed or the
registry was locked by another run, 2 on a bad option: Airflow retries only failures.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = "/opt/sparkcnn/sparkcnn-0.1.0-SNAPSHOT.jar"
REGISTRY = "hdfs:///models/photos"
VECTOR = "--add-modules=jdk.incubator.vector"

with DAG(
    dag_id="sparkcnn_retrain",
    start_date=datetime(2025, 1, 1),
    schedule="30 2 * * *",
    catchup=False,
    max_active_runs=1,  # the registry lock refuses overlapping runs anyway
    default_args={"retries": 1, "retry_delay": timedelta(minutes=15)},
) as dag:
    retrain = SparkSubmitOperator(
        task_id="retrain",
        conn_id="spark_default",
        application=JAR,
        java_class="org.sparkcnn.cli.Retrain",
        name="sparkcnn-retrain",
        application_args=[
            "--registry", REGISTRY,
            # read by the driver before Spark starts: a local file where the driver runs
            "--config", "/opt/sparkcnn/conf/train.properties",
            "--train", "hdfs:///data/photos/{{ ds }}",
            "--holdout", "hdfs:///data/photos/holdout",
            "--margin", "0.005",
        ],
        conf={
            "spark.driver.extraJavaOptions": VECTOR,
            "spark.executor.extraJavaOptions": VECTOR,
        },
        deploy_mode="client",  # the driver runs on the Airflow worker, which holds the config file
    )

    listing = SparkSubmitOperator(
        task_id="list_versions",
        conn_id="spark_default",
        application=JAR,
        java_class="org.sparkcnn.cli.Retrain",
        name="sparkcnn-registry-list",
        application_args=["--registry", REGISTRY, "--list"],
        conf={"spark.driver.extraJavaOptions": VECTOR},
        deploy_mode="client",
    )

    retrain >> listing
