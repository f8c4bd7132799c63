"""The EMR security configuration every cluster of the run uses: encryption and IMDSv2.

The document follows the EMR Management Guide, "Create a security configuration with the Amazon EMR
console or with the AWS CLI" (docs.aws.amazon.com/emr/latest/ManagementGuide/
emr-create-security-configuration.html):
- at rest, always: EMRFS objects in S3 with SSE-S3, or SSE-KMS when ``FRUITS_EMR_KMS_KEY`` is set
  (``S3EncryptionConfiguration``);
- local disks (EBS volumes, with ``EnableEbsEncryption``, and instance store) only when
  ``FRUITS_EMR_LOCAL_DISK_KMS_KEY`` is set: the ``LocalDiskEncryptionConfiguration`` needs a key
  provider, and ``AwsKms`` needs a KMS key (EBS encryption from EMR 5.24.0 "when you specify AWS KMS as
  your key provider", EMR Management Guide, "Encryption options");
- in transit only when ``FRUITS_EMR_TLS_CERTIFICATES`` names a zip of PEM files in S3
  (``TLSCertificateConfiguration``, ``CertificateProviderType: PEM``, EMR Management Guide, "Providing
  certificates for encrypting data in transit");
- IMDSv2 required on every instance, always: ``InstanceMetadataServiceConfiguration`` with
  ``MinimumInstanceMetadataServiceVersion: 2`` and a PUT response hop limit of 1. EMR components use
  IMDSv2 from EMR 5.32 and 6.2 on (also 5.23.1 and 5.27.1) (AWS What's New, 2021-03-30, "Amazon EMR now
  supports Amazon EC2 Instance Metadata Service v2"); this pipeline runs emr-7.x.

A security configuration cannot be changed once created, so the pipeline names its own after the
document's hash: ``ensure_security_configuration`` creates it when it is missing (any run, any retry
gets the same name) and refuses a configuration of that name whose content differs. A deployment may
instead name an existing one (``FRUITS_EMR_SECURITY_CONFIGURATION``), which is then used as it is.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from fruits_emr.config import ConfigError
from fruits_emr.security_settings import SecuritySettings

log = logging.getLogger(__name__)

NAME_PREFIX = "fruits-emr"
IMDS_V2 = {"MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": 1}


def security_configuration_document(settings: SecuritySettings) -> dict[str, Any]:
    """The security configuration JSON for ``settings`` (see the module docstring for each part)."""
    s3 = ({"EncryptionMode": "SSE-KMS", "AwsKmsKey": settings.kms_key} if settings.kms_key
          else {"EncryptionMode": "SSE-S3"})
    at_rest: dict[str, Any] = {"S3EncryptionConfiguration": s3}
    if settings.local_disk_kms_key:
        at_rest["LocalDiskEncryptionConfiguration"] = {
            "EncryptionKeyProviderType": "AwsKms",
            "AwsKmsKey": settings.local_disk_kms_key,
            "EnableEbsEncryption": True,
        }
    encryption: dict[str, Any] = {
        "EnableAtRestEncryption": True,
        "EnableInTransitEncryption": bool(settings.tls_certificates),
        "AtRestEncryptionConfiguration": at_rest,
    }
    if settings.tls_certificates:
        encryption["InTransitEncryptionConfiguration"] = {
            "TLSCertificateConfiguration": {"CertificateProviderType": "PEM",
                                            "S3Object": settings.tls_certificates},
        }
    return {"EncryptionConfiguration": encryption, "InstanceMetadataServiceConfiguration": IMDS_V2}


def security_configuration_name(deployment_id: str, document: dict[str, Any]) -> str:
    """The pipeline's name for ``document``: deployment id + content hash (a new document, a new name)."""
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:12]
    return f"{NAME_PREFIX}-{deployment_id}-{digest}"


def _describe(emr_client: Any, name: str) -> dict[str, Any] | None:
    """The stored document of the configuration ``name``, or None when there is none."""
    try:
        response = emr_client.describe_security_configuration(Name=name)
    except ClientError as err:
        # EMR answers InvalidRequestException for an unknown name (moto the same)
        if err.response.get("Error", {}).get("Code") == "InvalidRequestException":
            return None
        raise
    return json.loads(response["SecurityConfiguration"])


def ensure_security_configuration(emr_client: Any, deployment_id: str, settings: SecuritySettings) -> str:
    """The name of the security configuration the run's clusters use; created if it is missing."""
    if settings.security_configuration:
        if _describe(emr_client, settings.security_configuration) is None:
            raise ConfigError(f"FRUITS_EMR_SECURITY_CONFIGURATION {settings.security_configuration!r} "
                              "does not exist in EMR")
        log.info("Using the deployment's security configuration %s", settings.security_configuration)
        return settings.security_configuration
    document = security_configuration_document(settings)
    name = security_configuration_name(deployment_id, document)
    existing = _describe(emr_client, name)
    if existing is None:
        try:
            emr_client.create_security_configuration(Name=name, SecurityConfiguration=json.dumps(document))
            log.info("Created security configuration %s: %s", name, json.dumps(document))
        except ClientError:
            existing = _describe(emr_client, name)  # a concurrent run created it first: check it below
            if existing is None:
                raise
    if existing is not None and existing != document:
        raise ConfigError(f"security configuration {name} exists with other content than this run's: "
                          "delete it, or name another one in FRUITS_EMR_SECURITY_CONFIGURATION")
    log.info("Security configuration %s: %s", name, json.dumps(document))
    return name
