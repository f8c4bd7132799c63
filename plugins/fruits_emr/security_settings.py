"""The deployment's security settings: keys, certificates, network, roles and the wheelhouse.

Read from ``FRUITS_EMR_*`` variables with the rest of the deployment settings (``config.EnvDefaults``)
and carried in every run's configuration, so the run's first log shows which of them are in force.
Everything is off or AWS's default when unset, except what needs no extra AWS resource: SSE-S3 for
every object and IMDSv2 on every instance are always on (see ``security_configuration``).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

# AWS's default role names (EMR Management Guide, "Configure IAM service roles for Amazon EMR"). AWS
# says the default instance profile EMR_EC2_DefaultRole and its managed policy
# AmazonElasticMapReduceforEC2Role are "on the path to deprecation, with no replacement AWS managed
# policies provided" (EMR Management Guide, "Service role for cluster EC2 instances (EC2 instance
# profile)", docs.aws.amazon.com/emr/latest/ManagementGuide/emr-iam-role-for-ec2.html): deployments
# set FRUITS_EMR_INSTANCE_PROFILE to a role with the policy of docs/iam/.
DEFAULT_SERVICE_ROLE = "EMR_DefaultRole"
DEFAULT_INSTANCE_PROFILE = "EMR_EC2_DefaultRole"

_SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
_SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
# EMR security configuration names: letters, digits, _ and - (we also keep them short).
_SECURITY_CONFIGURATION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _id_list(value: str) -> tuple[str, ...]:
    """A comma-separated list setting, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class SecuritySettings:
    """Security settings of one deployment; the empty value means "not used" (or AWS's default)."""

    kms_key: str = ""  # SSE-KMS for every S3 object the run writes; "" = SSE-S3 (AES256)
    local_disk_kms_key: str = ""  # EBS + instance-store encryption of the cluster's disks
    tls_certificates: str = ""  # s3:// zip of PEM files: in-transit encryption between the nodes
    security_configuration: str = ""  # an existing EMR security configuration; "" = the pipeline's own
    subnet_ids: tuple[str, ...] = ()  # Ec2SubnetIds of the instance fleets; () = the default VPC
    additional_security_groups: tuple[str, ...] = ()  # added to the primary and core nodes
    service_role: str = DEFAULT_SERVICE_ROLE
    instance_profile: str = DEFAULT_INSTANCE_PROFILE
    wheelhouse: str = ""  # s3:// folder of the bootstrap's wheels (no package index needed)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "SecuritySettings":
        return cls(
            kms_key=env.get("FRUITS_EMR_KMS_KEY", "").strip(),
            local_disk_kms_key=env.get("FRUITS_EMR_LOCAL_DISK_KMS_KEY", "").strip(),
            tls_certificates=env.get("FRUITS_EMR_TLS_CERTIFICATES", "").strip(),
            security_configuration=env.get("FRUITS_EMR_SECURITY_CONFIGURATION", "").strip(),
            subnet_ids=_id_list(env.get("FRUITS_EMR_SUBNET_IDS", "")),
            additional_security_groups=_id_list(env.get("FRUITS_EMR_ADDITIONAL_SECURITY_GROUPS", "")),
            service_role=env.get("FRUITS_EMR_SERVICE_ROLE", DEFAULT_SERVICE_ROLE).strip(),
            instance_profile=env.get("FRUITS_EMR_INSTANCE_PROFILE", DEFAULT_INSTANCE_PROFILE).strip(),
            wheelhouse=env.get("FRUITS_EMR_WHEELHOUSE", "").strip().rstrip("/"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SecuritySettings":
        values = {f.name: data[f.name] for f in fields(cls)}
        return cls(**{**values, "subnet_ids": tuple(values["subnet_ids"]),
                      "additional_security_groups": tuple(values["additional_security_groups"])})

    def s3_uris(self) -> list[str]:
        """The s3:// locations outside the run's bucket the cluster may read (their region is checked)."""
        return [uri for uri in (self.tls_certificates, self.wheelhouse) if uri]

    def problems(self) -> list[str]:
        found = []
        for name, setting in (("tls_certificates", "FRUITS_EMR_TLS_CERTIFICATES"),
                              ("wheelhouse", "FRUITS_EMR_WHEELHOUSE")):
            value = getattr(self, name)
            if value and not value.startswith("s3://"):
                found.append(f"{setting} {value!r} must be an s3:// URI")
        if self.tls_certificates and not self.tls_certificates.endswith(".zip"):
            found.append("FRUITS_EMR_TLS_CERTIFICATES must name a .zip of PEM files "
                         "(privateKey.pem, certificateChain.pem, trustedCertificates.pem)")
        for subnet in self.subnet_ids:
            if not _SUBNET_ID.fullmatch(subnet):
                found.append(f"FRUITS_EMR_SUBNET_IDS: {subnet!r} is not a subnet id (subnet-...)")
        for group in self.additional_security_groups:
            if not _SECURITY_GROUP_ID.fullmatch(group):
                found.append(f"FRUITS_EMR_ADDITIONAL_SECURITY_GROUPS: {group!r} is not a security group id")
        for name, setting in (("service_role", "FRUITS_EMR_SERVICE_ROLE"),
                              ("instance_profile", "FRUITS_EMR_INSTANCE_PROFILE")):
            if not _ROLE_NAME.fullmatch(getattr(self, name)):
                found.append(f"{setting} {getattr(self, name)!r} is not an IAM role name")
        name = self.security_configuration
        if name and not _SECURITY_CONFIGURATION_NAME.fullmatch(name):
            found.append(f"FRUITS_EMR_SECURITY_CONFIGURATION {name!r} must be 1-64 of A-Z a-z 0-9 _ -")
        return found
