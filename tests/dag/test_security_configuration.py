"""The EMR security configuration (encryption, IMDSv2), created once by name in moto's EMR; the job flow's
roles, network and log encryption follow the deployment's settings."""
from __future__ import annotations

import json

import pytest

from fruits_emr.config import ConfigError, EnvDefaults, load_config
from fruits_emr.params import dag_params
from fruits_emr.security_configuration import (
    IMDS_V2,
    ensure_security_configuration,
    security_configuration_document,
    security_configuration_name,
)
from fruits_emr.security_settings import SecuritySettings
from fruits_emr.spark_sizing import size_executors
from local_emr.run_report import collect_run
from tests.dag.dag_test_env import BUCKET
from tests.dag.test_job_flow import ARTIFACTS, RUN_ID

KEY = "arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DISK_KEY = "arn:aws:kms:eu-west-3:123456789012:key/9876abcd-12ab-34cd-56ef-1234567890ab"


def test_defaults_encrypt_s3_output_and_require_imdsv2_only():
    document = security_configuration_document(SecuritySettings())
    encryption = document["EncryptionConfiguration"]
    assert encryption["EnableAtRestEncryption"] is True and encryption["EnableInTransitEncryption"] is False
    at_rest = encryption["AtRestEncryptionConfiguration"]
    assert at_rest == {"S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}}
    assert "InTransitEncryptionConfiguration" not in encryption
    assert document["InstanceMetadataServiceConfiguration"] == IMDS_V2
    assert IMDS_V2["MinimumInstanceMetadataServiceVersion"] == 2


def test_keys_and_certificates_turn_on_kms_local_disks_and_tls():
    settings = SecuritySettings(kms_key=KEY, local_disk_kms_key=DISK_KEY,
                                tls_certificates="s3://certs-bucket/fruits/certs.zip")
    encryption = security_configuration_document(settings)["EncryptionConfiguration"]
    at_rest = encryption["AtRestEncryptionConfiguration"]
    assert at_rest["S3EncryptionConfiguration"] == {"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY}
    assert at_rest["LocalDiskEncryptionConfiguration"] == {
        "EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": DISK_KEY, "EnableEbsEncryption": True}
    assert encryption["EnableInTransitEncryption"] is True
    assert encryption["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"] == {
        "CertificateProviderType": "PEM", "S3Object": "s3://certs-bucket/fruits/certs.zip"}


def test_created_once_by_name_then_reused(emr_client):
    settings = SecuritySettings(kms_key=KEY)
    name = ensure_security_configuration(emr_client, "default", settings)
    assert name == security_configuration_name("default", security_configuration_document(settings))
    stored = emr_client.describe_security_configuration(Name=name)["SecurityConfiguration"]
    assert json.loads(stored) == security_configuration_document(settings)
    assert ensure_security_configuration(emr_client, "default", settings) == name  # a retry: no error
    other = ensure_security_configuration(emr_client, "default", SecuritySettings())
    assert other != name  # another document, another name (a configuration cannot be changed)


def test_a_configuration_with_our_name_but_other_content_is_refused(emr_client):
    settings = SecuritySettings()
    name = security_configuration_name("default", security_configuration_document(settings))
    emr_client.create_security_configuration(Name=name, SecurityConfiguration=json.dumps({"planted": 1}))
    with pytest.raises(ConfigError, match="exists with other content"):
        ensure_security_configuration(emr_client, "default", settings)


def test_a_named_configuration_is_used_as_it_is_and_must_exist(emr_client):
    emr_client.create_security_configuration(Name="corp-emr", SecurityConfiguration=json.dumps({"x": 1}))
    assert ensure_security_configuration(
        emr_client, "default", SecuritySettings(security_configuration="corp-emr")) == "corp-emr"
    with pytest.raises(ConfigError, match="'absent' does not exist"):
        ensure_security_configuration(emr_client, "default",
                                      SecuritySettings(security_configuration="absent"))


def secure_job_flow(emr_client, settings: dict[str, str]) -> dict:
    from fruits_emr.job_flow import build_job_flow

    params = {**{n: p.value for n, p in dag_params().items()}, "output_prefix": "out"}
    cfg = load_config(params, "eu-west-3", EnvDefaults.from_env({"FRUITS_EMR_BUCKET": BUCKET, **settings}))
    name = ensure_security_configuration(emr_client, cfg.deployment_id, cfg.security)
    sizing = size_executors(cfg.core_instance_type, cfg.core_instance_count)
    return build_job_flow(cfg, cfg.layout(RUN_ID), ARTIFACTS, sizing, "fruits_features", RUN_ID, name)


def test_default_job_flow_uses_aws_default_roles_and_the_default_vpc(emr_client):
    flow = secure_job_flow(emr_client, {})
    assert (flow["ServiceRole"], flow["JobFlowRole"]) == ("EMR_DefaultRole", "EMR_EC2_DefaultRole")
    assert not {"Ec2SubnetIds", "AdditionalMasterSecurityGroups"} & set(flow["Instances"])
    assert "LogEncryptionKmsKeyId" not in flow
    assert flow["SecurityConfiguration"].startswith("fruits-emr-default-")


def test_job_flow_follows_the_security_settings_and_moto_records_them(emr_client, s3_hook, tmp_path):
    flow = secure_job_flow(emr_client, {
        "FRUITS_EMR_KMS_KEY": KEY, "FRUITS_EMR_SUBNET_IDS": "subnet-0a1b2c3d,subnet-0a1b2c3e",
        "FRUITS_EMR_ADDITIONAL_SECURITY_GROUPS": "sg-0123abcd",
        "FRUITS_EMR_SERVICE_ROLE": "fruits-emr-service",
        "FRUITS_EMR_INSTANCE_PROFILE": "fruits-emr-instance", "FRUITS_EMR_WHEELHOUSE": f"s3://{BUCKET}/wheels/",
    })
    (bootstrap,) = flow["BootstrapActions"]
    assert bootstrap["ScriptBootstrapAction"]["Args"] == [ARTIFACTS.requirements, f"s3://{BUCKET}/wheels"]
    instances = flow["Instances"]
    assert instances["Ec2SubnetIds"] == ["subnet-0a1b2c3d", "subnet-0a1b2c3e"]
    assert instances["AdditionalMasterSecurityGroups"] == instances["AdditionalSlaveSecurityGroups"] \
        == ["sg-0123abcd"]
    assert (flow["ServiceRole"], flow["JobFlowRole"]) == ("fruits-emr-service", "fruits-emr-instance")
    assert flow["LogEncryptionKmsKeyId"] == KEY
    cluster_id = emr_client.run_job_flow(**flow)["JobFlowId"]
    cluster = emr_client.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["SecurityConfiguration"] == flow["SecurityConfiguration"]
    assert (cluster["ServiceRole"], cluster["Ec2InstanceAttributes"]["IamInstanceProfile"]) \
        == ("fruits-emr-service", "fruits-emr-instance")
    summary = collect_run(s3_hook.conn, emr_client, BUCKET, "out", tmp_path).cluster["security"]
    expected = "(S3 SSE-KMS, local disks off, in transit off, IMDSv2+)"
    assert summary == f"{flow['SecurityConfiguration']} {expected}"
