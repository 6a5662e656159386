"""The SageMaker instance catalog: facts, validity per purpose, and hourly prices with their provenance."""

from __future__ import annotations

import csv
import subprocess
import sys

import botocore.loaders
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlstack.components import instances
from mlstack.components.instances import HourlyPrice, UnknownInstanceType
from tests.conftest import REPO


def _botocore_enum(shape: str) -> list[str]:
    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    return list(model["shapes"][shape]["enum"])


def test_endpoint_types_are_exactly_botocores_production_variant_enum_in_order() -> None:
    # A botocore upgrade that adds or drops an endpoint type must fail here, not in production.
    names = [t.name for t in instances.endpoint_instance_types()]
    assert names == _botocore_enum("ProductionVariantInstanceType")
    assert len(names) == 277


def test_processing_types_are_exactly_botocores_processing_enum() -> None:
    processing = {t.name for t in instances._catalog().values() if t.processing}
    assert processing == set(_botocore_enum("ProcessingInstanceType"))


def test_local_storage_agrees_with_sagemaker_core_for_every_type() -> None:
    from sagemaker.core.common_utils import volume_size_supported

    disagree = [t.name for t in instances._catalog().values() if t.local_storage == volume_size_supported(t.name)]
    assert disagree == []
    assert instances.lookup("ml.g5.xlarge").local_storage
    assert instances.lookup("ml.g4dn.xlarge").local_storage
    assert not instances.lookup("ml.c6i.xlarge").local_storage


def test_gpu_facts() -> None:
    g5 = instances.lookup("ml.g5.xlarge")
    assert (g5.gpus, g5.gpu_type, g5.gpu_memory_gib, g5.vcpu, g5.memory_gib) == (1, "NVIDIA A10G", 24.0, 4, 16.0)
    assert g5.family == "g5"
    assert g5.has_gpu
    g6 = instances.lookup("ml.g6.12xlarge")
    # ec2instances.info lists L4 at a nominal 24 GiB each: 4 x 24 = 96 in total.
    assert (g6.gpus, g6.gpu_type, g6.gpu_memory_gib) == (4, "NVIDIA L4", 96.0)
    g5_12 = instances.lookup("ml.g5.12xlarge")
    assert (g5_12.gpus, g5_12.gpu_type, g5_12.gpu_memory_gib, g5_12.vcpu) == (4, "NVIDIA A10G", 96.0, 48)


def test_cpu_and_neuron_types_have_no_gpu() -> None:
    c6i = instances.lookup("ml.c6i.xlarge")
    assert (c6i.gpus, c6i.gpu_type, c6i.gpu_memory_gib, c6i.has_gpu) == (0, None, 0.0, False)
    inf2 = instances.lookup("ml.inf2.xlarge")
    assert (inf2.has_gpu, inf2.accelerator_type, inf2.accelerator_count) == (False, "inferentia2", 1)


def test_burstable_is_the_t_families_only() -> None:
    assert instances.lookup("ml.t2.medium").burstable
    assert instances.lookup("ml.t3.medium", purpose="processing").burstable
    assert not instances.lookup("ml.trn1.2xlarge").burstable
    assert not instances.lookup("ml.m5.large").burstable
    burstable_families = {t.family for t in instances._catalog().values() if t.burstable}
    assert burstable_families == {"t2", "t3"}


def test_typo_suggests_the_nearest_endpoint_types() -> None:
    with pytest.raises(UnknownInstanceType) as raised:
        instances.lookup("ml.g5.xlarg")
    assert str(raised.value) == (
        "unknown instance type 'ml.g5.xlarg'; did you mean ml.g5.xlarge, ml.g5.8xlarge, ml.g5.4xlarge?"
    )
    assert raised.value.name == "ml.g5.xlarg"
    assert raised.value.suggestions == ["ml.g5.xlarge", "ml.g5.8xlarge", "ml.g5.4xlarge"]
    assert isinstance(raised.value, ValueError)


def test_nonsense_gets_no_suggestions() -> None:
    with pytest.raises(UnknownInstanceType, match=r"^unknown instance type 'banana'$") as raised:
        instances.lookup("banana")
    assert raised.value.suggestions == []


def test_processing_only_type_is_rejected_for_an_endpoint() -> None:
    assert instances.lookup("ml.t3.medium", purpose="processing").processing
    with pytest.raises(UnknownInstanceType) as raised:
        instances.lookup("ml.t3.medium")
    assert str(raised.value) == (
        "ml.t3.medium is valid for processing but not for endpoint; "
        "did you mean ml.t2.medium, ml.r8g.medium, ml.m8g.medium?"
    )


def test_endpoint_only_type_is_rejected_for_processing() -> None:
    with pytest.raises(UnknownInstanceType, match=r"^ml\.inf1\.xlarge is valid for endpoint but not for processing"):
        instances.lookup("ml.inf1.xlarge", purpose="processing")


def test_listed_price_in_us_east_1() -> None:
    assert instances.hourly_price("ml.g5.xlarge", "us-east-1") == HourlyPrice(
        usd_per_hour=1.4084,
        provenance="listed",
        region="us-east-1",
        source="FMBench pricing.yml (2025-01-26)",
        note="",
    )


def test_us_east_1_price_stands_in_for_eu_west_1_and_says_so() -> None:
    assert instances.hourly_price("ml.g5.xlarge", "eu-west-1") == HourlyPrice(
        usd_per_hour=1.4084,
        provenance="listed",
        region="us-east-1",
        source="FMBench pricing.yml (2025-01-26)",
        note="us-east-1 price stands in for eu-west-1",
    )


def test_billed_eu_west_1_price_wins_over_the_us_east_1_figure() -> None:
    price = instances.hourly_price("ml.g5.12xlarge", "eu-west-1")
    assert price is not None
    assert (price.usd_per_hour, price.provenance, price.region) == (7.91, "listed", "eu-west-1")
    assert "2023-12" in price.source
    us = instances.hourly_price("ml.g5.12xlarge", "us-east-1")
    assert us is not None
    assert (us.usd_per_hour, us.region) == (7.09, "us-east-1")


def test_only_hosting_lines_of_the_bill_are_hosting_prices() -> None:
    # The bill has Training ml.g5.xlarge 1.57 and Studio-Notebook ml.g4dn.xlarge 0.8218 for eu-west-1;
    # neither may price an endpoint.
    g5 = instances.hourly_price("ml.g5.xlarge", "eu-west-1")
    assert g5 is not None
    assert g5.usd_per_hour == 1.4084
    g4dn = instances.hourly_price("ml.g4dn.xlarge", "eu-west-1")
    assert g4dn is not None
    assert g4dn.region == "us-east-1"


def test_estimated_price_is_ec2_times_the_median_ratio() -> None:
    assert instances.sagemaker_to_ec2_ratio() == (1.25, 33)
    price = instances.hourly_price("ml.g6e.xlarge", "eu-west-1")
    assert price is not None
    # ml.g6e.xlarge has no SageMaker price anywhere; EC2 on-demand us-east-1 is $1.861/h,
    # so the estimate is 1.861 x 1.25 = 2.32625.
    assert price.usd_per_hour == pytest.approx(2.32625)
    assert (price.provenance, price.region) == ("estimated", "us-east-1")
    assert price.note == (
        "estimated: EC2 on-demand $1.861/h × 1.25, the median SageMaker hosting/EC2 price ratio over the 33 "
        "instance types that have both prices; us-east-1 price stands in for eu-west-1"
    )


def test_studio_notebook_price_never_prices_hosting() -> None:
    # ml.r5.large has a Studio-Notebook price (0.151) but no hosting price: it must be estimated from EC2.
    price = instances.hourly_price("ml.r5.large", "us-east-1")
    assert price is not None
    assert price.provenance == "estimated"
    assert price.usd_per_hour == pytest.approx(0.126 * 1.25)


def test_stale_price_carries_its_warning() -> None:
    price = instances.hourly_price("ml.p5.48xlarge", "us-east-1")
    assert price is not None
    assert price.provenance == "listed"
    assert price.note.startswith("likely stale")


def test_type_without_any_price_is_none() -> None:
    # No source has a SageMaker or an EC2 price for ml.p6e-gb200.36xlarge.
    assert instances.hourly_price("ml.p6e-gb200.36xlarge", "us-east-1") is None


def test_price_of_an_unknown_type_raises() -> None:
    with pytest.raises(UnknownInstanceType, match=r"did you mean ml\.g5\.xlarge"):
        instances.hourly_price("ml.g5.xlarg", "us-east-1")


def test_serverless_prices() -> None:
    price = instances.serverless_price(2048)
    assert price is not None
    assert (price.usd_per_second, price.usd_per_gb_processed) == (0.00004, 0.016)
    assert instances.serverless_price(1000) is None


def test_every_hosting_price_in_the_csv_is_reachable() -> None:
    with instances.INSTANCES_CSV.open(newline="", encoding="utf-8") as handle:
        listed = {
            row["instance_type"]: float(row["price_usd_hour_us_east_1"])
            for row in csv.DictReader(handle)
            if row["price_usd_hour_us_east_1"]
        }
    assert len(listed) == 33
    for name, usd in listed.items():
        price = instances.hourly_price(name, "us-east-1")
        assert price is not None
        assert (price.usd_per_hour, price.provenance) == (usd, "listed")


@given(
    instance=st.sampled_from(instances.endpoint_instance_types()),
    region=st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1", "cn-north-1"]),
)
def test_every_endpoint_type_round_trips_and_prices_sanely(instance: instances.InstanceType, region: str) -> None:
    assert instances.lookup(instance.name) is instance
    assert instance.has_gpu == (instance.gpu_memory_gib > 0) == (instance.gpu_type is not None)
    price = instances.hourly_price(instance.name, region)
    if price is None:
        return
    assert price.usd_per_hour > 0
    assert price.source
    if price.region != region:
        assert price.note.endswith(f"us-east-1 price stands in for {region}")
    if price.provenance == "estimated":
        assert price.note.startswith("estimated: ")


def test_importing_and_looking_up_loads_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from components import instances\n"
        "instances.lookup('ml.g5.xlarge'); instances.hourly_price('ml.g6e.xlarge', 'eu-west-1')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sagemaker', 'pandas', 'botocore', 'pulumi'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
