"""Checks of the SAM template (sam/template.yaml) and of the layer builder sam/build_layer.py.

The template is linted with cfn-lint, read with cfn-lint's YAML loader (which understands the
short forms ``!Ref``, ``!Sub``, ...) and translated to plain CloudFormation with the SAM
translator, all offline. The layer builder's helpers run on fake files; only the test marked
``slow`` downloads wheels and builds a real layer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import build_layer  # sam/build_layer.py; pyproject.toml puts sam/ on pytest's pythonpath
import pytest
from cfnlint.api import lint_file
from cfnlint.decode import cfn_yaml

REPO = Path(__file__).resolve().parents[2]
SAM_DIR = REPO / "sam"
TEMPLATE = SAM_DIR / "template.yaml"
NO_VALUE = {"Ref": "AWS::NoValue"}
S3_OBJECT_ARN = re.compile(
    r"^arn:\$\{AWS::Partition\}:s3:::\$\{Bucket\}/pydmlserverless/(?P<folder>data|splits|results)/\*$"
)


@pytest.fixture(scope="module")
def template() -> dict:
    """The template as plain JSON-like data, short-form tags turned into their long forms."""
    return json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def _props(resources: dict, name: str) -> dict:
    return resources[name]["Properties"]


def _evaluate_condition(template: dict, name: str, parameters: dict) -> bool:
    """Evaluate a named condition of the template for given parameter values (defaults otherwise)."""
    values = {key: str(spec.get("Default", "")) for key, spec in template["Parameters"].items()}
    values.update(parameters)

    def value(node):
        if isinstance(node, dict) and "Ref" in node:
            return values[node["Ref"]]
        return node

    def evaluate(node) -> bool:
        ((function, args),) = node.items()
        if function == "Condition":
            return evaluate(template["Conditions"][args])
        if function == "Fn::Equals":
            return str(value(args[0])) == str(value(args[1]))
        if function == "Fn::Not":
            return not evaluate(args[0])
        if function == "Fn::Or":
            return any(evaluate(arg) for arg in args)
        if function == "Fn::And":
            return all(evaluate(arg) for arg in args)
        raise AssertionError(f"unexpected condition function {function}")

    return evaluate(template["Conditions"][name])


def _role_statements(resources: dict) -> list[dict]:
    """All statements of the function role's inline policies, both branches of an Fn::If included."""
    role = _props(resources, "LambdaCVPredictRole")
    statements = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statements.extend(s for s in statement["Fn::If"][1:] if s != NO_VALUE)
            else:
                statements.append(statement)
    return statements


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _statements_for(resources: dict, service: str) -> list[dict]:
    """The role's statements with an action of one service (e.g. 'logs')."""
    return [
        statement
        for statement in _role_statements(resources)
        if any(action.startswith(service + ":") for action in _as_list(statement["Action"]))
    ]


# ----------------------------------------------------------------------------------------
# The template
# ----------------------------------------------------------------------------------------


def test_cfn_lint_reports_nothing():
    matches = lint_file(TEMPLATE)
    assert not matches, "\n".join(str(match) for match in matches)


def test_function_runs_the_lambda_folder_handler_on_python312(template, resources):
    function = resources["LambdaCVPredict"]
    assert function["Type"] == "AWS::Serverless::Function"
    props = function["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Handler"] == "handler.lambda_handler"
    assert (SAM_DIR / props["CodeUri"]).resolve() == REPO / "lambda"
    assert props["FunctionName"] == {"Ref": "FunctionName"}
    assert template["Parameters"]["FunctionName"]["Default"] == "LambdaCVPredict"
    assert props["Layers"] == [{"Ref": "DependencyLayer"}]


def test_architecture_defaults_to_arm64_and_allows_x86_64(template, resources):
    parameter = template["Parameters"]["Architecture"]
    assert parameter["Default"] == "arm64"
    assert sorted(parameter["AllowedValues"]) == ["arm64", "x86_64"]
    assert _props(resources, "LambdaCVPredict")["Architectures"] == [{"Ref": "Architecture"}]
    layer = _props(resources, "DependencyLayer")
    assert layer["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    assert layer["CompatibleRuntimes"] == ["python3.12"]


def test_layer_content_is_where_build_layer_writes_it(resources):
    layer = resources["DependencyLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert (SAM_DIR / layer["Properties"]["ContentUri"]).resolve() == build_layer.DEFAULT_OUT


def test_sizing_parameters_exist_with_lambda_bounds(template, resources):
    parameters = template["Parameters"]
    for name in [
        "FunctionName",
        "Architecture",
        "MemorySize",
        "Timeout",
        "ReservedConcurrency",
        "ExistingBucketName",
        "ResultsExpirationDays",
    ]:
        assert name in parameters, name
    assert parameters["MemorySize"]["Type"] == "Number"
    assert 128 <= parameters["MemorySize"]["MinValue"] <= parameters["MemorySize"]["Default"]
    assert parameters["MemorySize"]["MaxValue"] == 10240
    assert parameters["Timeout"]["Type"] == "Number"
    assert parameters["Timeout"]["MaxValue"] == 900
    props = _props(resources, "LambdaCVPredict")
    assert props["MemorySize"] == {"Ref": "MemorySize"}
    assert props["Timeout"] == {"Ref": "Timeout"}


@pytest.mark.parametrize(("given", "reserved"), [("", False), ("0", False), ("1", True), ("250", True)])
def test_reserved_concurrency_is_on_by_default_and_can_be_turned_off(template, resources, given, reserved):
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == "100"
    assert _evaluate_condition(template, "HasReservedConcurrency", {"ReservedConcurrency": "100"}) is True
    assert _evaluate_condition(template, "HasReservedConcurrency", {"ReservedConcurrency": given}) is reserved
    expected = {"Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, NO_VALUE]}
    assert _props(resources, "LambdaCVPredict")["ReservedConcurrentExecutions"] == expected


def test_the_function_is_told_its_bucket_and_nothing_else_is_configurable(resources):
    """The worker reads and writes the bucket its environment names; a payload never chooses it."""
    from pydmlserverless.worker.config import BUCKET_VARIABLE

    variables = _props(resources, "LambdaCVPredict")["Environment"]["Variables"]
    assert variables == {
        BUCKET_VARIABLE: {"Fn::If": ["CreateBucket", {"Ref": "DataBucket"}, {"Ref": "ExistingBucketName"}]}
    }


@pytest.mark.parametrize(("existing", "created"), [("", True), ("my-existing-bucket", False)])
def test_bucket_is_created_only_without_an_existing_one(template, resources, existing, created):
    assert _evaluate_condition(template, "CreateBucket", {"ExistingBucketName": existing}) is created
    assert resources["DataBucket"]["Condition"] == "CreateBucket"
    assert resources["DataBucketPolicy"]["Condition"] == "CreateBucket"


def test_new_bucket_is_encrypted_and_blocks_public_access(resources):
    bucket = _props(resources, "DataBucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
    assert algorithm == {"Fn::If": ["UseKmsKey", "aws:kms", "AES256"]}
    flags = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(flags, True)


def test_new_bucket_denies_requests_without_tls(resources):
    policy = _props(resources, "DataBucketPolicy")
    assert policy["Bucket"] == {"Ref": "DataBucket"}
    deny = [
        s
        for s in policy["PolicyDocument"]["Statement"]
        if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert len(deny) == 1
    (statement,) = deny
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    bucket_and_objects = [{"Fn::GetAtt": ["DataBucket", "Arn"]}, {"Fn::Sub": "${DataBucket.Arn}/*"}]
    assert statement["Resource"] == bucket_and_objects


def test_lifecycle_expires_the_results_prefix_only(resources):
    rules = _props(resources, "DataBucket")["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules if "ExpirationInDays" in rule or "ExpirationDate" in rule]
    assert len(expiring) == 1
    (rule,) = expiring
    assert rule["Status"] == "Enabled"
    assert rule["Prefix"] == "pydmlserverless/results/"
    assert rule["ExpirationInDays"] == {"Ref": "ResultsExpirationDays"}


def test_template_prefixes_match_the_package():
    from pydmlserverless.worker.protocol import KEY_PREFIX

    assert KEY_PREFIX == "pydmlserverless/"
    text = TEMPLATE.read_text(encoding="utf-8")
    for folder in ["data", "splits", "results"]:
        assert f"{KEY_PREFIX}{folder}/" in text


def test_role_actions_name_single_actions(resources):
    statements = _role_statements(resources)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in _as_list(statement["Action"]):
            assert "*" not in action, action
            assert action.split(":")[0] in {"s3", "logs", "kms"}, action


def test_role_reads_data_and_splits_and_writes_results_only(resources):
    granted: dict[str, set[str]] = {}
    for statement in _statements_for(resources, "s3"):
        actions = _as_list(statement["Action"])
        assert all(action.startswith("s3:") for action in actions)
        for resource in _as_list(statement["Resource"]):
            pattern, variables = resource["Fn::Sub"]
            match = S3_OBJECT_ARN.match(pattern)
            assert match, pattern
            assert variables == {
                "Bucket": {"Fn::If": ["CreateBucket", {"Ref": "DataBucket"}, {"Ref": "ExistingBucketName"}]}
            }
            for action in actions:
                granted.setdefault(action, set()).add(match["folder"])
    assert granted == {"s3:GetObject": {"data", "splits"}, "s3:PutObject": {"results"}}


def test_role_writes_only_its_own_log_group(resources):
    log_group = _props(resources, "FunctionLogGroup")["LogGroupName"]
    assert log_group == {"Fn::Sub": "/aws/lambda/${FunctionName}"}
    assert _props(resources, "LambdaCVPredict")["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}
    logs = _statements_for(resources, "logs")
    assert len(logs) == 1
    assert sorted(_as_list(logs[0]["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    log_group_arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/"
    assert logs[0]["Resource"] == {"Fn::Sub": log_group_arn + "${FunctionName}:*"}


def test_role_uses_the_kms_key_only_through_s3_and_only_when_given(resources):
    kms = _statements_for(resources, "kms")
    assert len(kms) == 1
    assert kms[0]["Resource"] == {"Ref": "KmsKeyArn"}
    via_s3 = {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    assert kms[0]["Condition"] == {"StringEquals": {"kms:ViaService": via_s3}}
    conditional = [
        s
        for s in _props(resources, "LambdaCVPredictRole")["Policies"][0]["PolicyDocument"]["Statement"]
        if "Fn::If" in s
    ]
    assert [s["Fn::If"][0] for s in conditional] == ["UseKmsKey"]


def test_role_has_no_managed_policies_and_only_lambda_may_assume_it(resources):
    role = _props(resources, "LambdaCVPredictRole")
    assert "ManagedPolicyArns" not in role
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert set(trust) == {"Effect", "Principal", "Action"}


def test_sam_translation_creates_no_role_of_its_own(template, monkeypatch):
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            raise AssertionError("the template must not reference managed policies")

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    sam = json.loads(json.dumps(template))
    # The translator wants S3 locations; `sam deploy` uploads the local folders and puts theirs.
    sam["Resources"]["LambdaCVPredict"]["Properties"]["CodeUri"] = "s3://bucket/function.zip"
    sam["Resources"]["DependencyLayer"]["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    translated = transform(sam, {}, NoManagedPolicies())["Resources"]
    types = sorted(resource["Type"] for resource in translated.values())
    assert types == sorted(
        [
            "AWS::IAM::Role",
            "AWS::Lambda::Function",
            "AWS::Lambda::LayerVersion",
            "AWS::Logs::LogGroup",
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
        ]
    )
    function = translated["LambdaCVPredict"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["LambdaCVPredictRole", "Arn"]}
    assert function["Runtime"] == "python3.12"


def test_outputs_name_function_and_bucket(template):
    outputs = template["Outputs"]
    assert outputs["FunctionName"]["Value"] == {"Ref": "LambdaCVPredict"}
    assert outputs["FunctionArn"]["Value"] == {"Fn::GetAtt": ["LambdaCVPredict", "Arn"]}
    assert outputs["BucketName"]["Value"] == {
        "Fn::If": ["CreateBucket", {"Ref": "DataBucket"}, {"Ref": "ExistingBucketName"}]
    }


def test_serverless_repo_metadata(template):
    meta = template["Metadata"]["AWS::ServerlessRepo::Application"]
    for key in [
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "Labels",
        "SemanticVersion",
        "SourceCodeUrl",
    ]:
        assert meta.get(key), key
    assert meta["SpdxLicenseId"] == "MIT"
    # Constraints of the Serverless Application Repository's CreateApplication.
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", meta["Name"])
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", meta["Author"])
    assert len(meta["Description"]) <= 256
    assert 1 <= len(meta["Labels"]) <= 10
    assert all(re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label) for label in meta["Labels"])
    assert (SAM_DIR / meta["ReadmeUrl"]).resolve() == SAM_DIR / "README.md"
    assert (SAM_DIR / meta["LicenseUrl"]).resolve() == REPO / "LICENSE"
    assert meta["SourceCodeUrl"].startswith("https://")


def test_files_the_metadata_names_exist(template):
    # `sam package` and `sam deploy` upload LicenseUrl and ReadmeUrl, and stop if either is missing.
    meta = template["Metadata"]["AWS::ServerlessRepo::Application"]
    for key in ["LicenseUrl", "ReadmeUrl"]:
        assert (SAM_DIR / meta[key]).is_file(), f"{key}: {meta[key]} (relative to sam/) does not exist"


def test_serverless_repo_version_is_the_package_version(template):
    from pydmlserverless import __version__

    assert template["Metadata"]["AWS::ServerlessRepo::Application"]["SemanticVersion"] == __version__


# ----------------------------------------------------------------------------------------
# The layer builder's helpers (no network)
# ----------------------------------------------------------------------------------------


def _write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def _elf(machine: int = 183, aligned: bool = True, size: int = 256) -> bytes:
    """A minimal 64-bit little-endian ELF image with one PT_LOAD program header."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    header[18:20] = machine.to_bytes(2, "little")
    header[32:40] = (64).to_bytes(8, "little")  # e_phoff
    header[54:56] = (56).to_bytes(2, "little")  # e_phentsize
    header[56:58] = (1).to_bytes(2, "little")  # e_phnum
    program = bytearray(56)
    program[0:4] = (1).to_bytes(4, "little")  # PT_LOAD
    program[8:16] = (0x1000).to_bytes(8, "little")  # p_offset
    program[16:24] = (0x11000 if aligned else 0x11098).to_bytes(8, "little")  # p_vaddr
    program[48:56] = (0x1000).to_bytes(8, "little")  # p_align
    image = bytes(header + program)
    return image + b"\0" * max(0, size - len(image))


def test_directory_size_sums_regular_files(tmp_path):
    _write(tmp_path / "a.bin", 100)
    _write(tmp_path / "sub" / "deeper" / "b.bin", 2500)
    (tmp_path / "empty").mkdir()
    os.symlink(tmp_path / "a.bin", tmp_path / "link.bin")  # a zip stores the target's bytes
    assert build_layer.directory_size(tmp_path) == 100 + 2500 + 100
    assert build_layer.directory_size(tmp_path / "sub") == 2500
    assert build_layer.directory_size(tmp_path / "missing") == 0


def test_prune_tree_drops_tests_caches_and_build_only_files(tmp_path):
    removed = [
        _write(tmp_path / "pkg" / "tests" / "test_x.py", 10),
        _write(tmp_path / "pkg" / "sub" / "tests" / "data" / "big.bin", 1000),
        _write(tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc", 20),
        _write(tmp_path / "pkg" / "_fast.pyx", 30),
        _write(tmp_path / "pkg" / "_fast.pxd", 40),
        _write(tmp_path / "pkg" / "include" / "api.h", 50),
        _write(tmp_path / "pkg" / "lib" / "libnpymath.a", 60),
        _write(tmp_path / "bin" / "f2py", 70),
    ]
    kept = [
        _write(tmp_path / "pkg" / "__init__.py", 5),
        _write(tmp_path / "pkg" / "testing" / "utils.py", 5),
        _write(tmp_path / "pkg" / "_fast.cpython-312-aarch64-linux-gnu.so", 5),
        _write(tmp_path / "pkg" / "tests_helpers.py", 5),
        _write(tmp_path / "pkg-1.0.dist-info" / "METADATA", 5),
    ]
    count, freed = build_layer.prune_tree(tmp_path)
    assert freed == 10 + 1000 + 20 + 30 + 40 + 50 + 60 + 70
    assert count == 8  # two tests folders, one cache folder, four files, bin/
    assert not any(path.exists() for path in removed)
    assert all(path.exists() for path in kept)
    assert not (tmp_path / "pkg" / "tests").exists() and not (tmp_path / "bin").exists()


def test_size_limit_is_aws_250_mb():
    assert build_layer.LAMBDA_UNZIPPED_LIMIT == 262_144_000 == 250 * 1024 * 1024
    build_layer.check_size_limit(0)
    build_layer.check_size_limit(build_layer.LAMBDA_UNZIPPED_LIMIT)
    over = r"262,144,001 bytes.*over Lambda's limit of 250.0 MB"
    with pytest.raises(build_layer.LayerBuildError, match=over):
        build_layer.check_size_limit(build_layer.LAMBDA_UNZIPPED_LIMIT + 1)


def test_main_fails_with_a_message_when_over_the_limit(tmp_path, monkeypatch, capsys):
    def fake_build(args):
        build_layer.check_size_limit(300 * 1024 * 1024)

    monkeypatch.setattr(build_layer, "build", fake_build)
    assert build_layer.main(["--arch", "arm64", "--out", str(tmp_path / "layer")]) == 1
    assert "error: function code + layer unzipped is 300.0 MB" in capsys.readouterr().err


def test_platform_tags_cover_manylinux2014_to_amazon_linux_2023():
    tags = build_layer.platform_tags("arm64")
    assert tags[0] == "manylinux2014_aarch64"
    assert {"manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"} <= set(tags)
    assert "manylinux_2_35_aarch64" not in tags
    assert all(tag.endswith("_x86_64") for tag in build_layer.platform_tags("x86_64"))
    with pytest.raises(ValueError, match="unknown architecture 'ppc64le'"):
        build_layer.platform_tags("ppc64le")


def test_pins_default_to_the_installed_versions_and_can_be_overridden(monkeypatch):
    from importlib.metadata import version

    pins = build_layer.resolve_pins({"scipy": "1.14.0"})
    assert pins == {"numpy": version("numpy"), "scipy": "1.14.0", "scikit-learn": version("scikit-learn")}
    assert build_layer.requirement_specs(pins, ["rich"]) == [
        f"numpy=={version('numpy')}",
        "scipy==1.14.0",
        f"scikit-learn=={version('scikit-learn')}",
        "joblib",
        "threadpoolctl",
        "skops",
        "rich",
    ]
    monkeypatch.setattr(build_layer, "installed_version", lambda name: None)
    with pytest.raises(build_layer.LayerBuildError, match="pass --numpy-version VERSION"):
        build_layer.resolve_pins({})


def test_check_pins_rejects_a_different_version():
    build_layer.check_pins({"numpy": "2.0.0"}, {"NumPy": "2.0.0", "joblib": "1.4.0"})
    with pytest.raises(build_layer.LayerBuildError, match="has numpy 2.1.0, not the pinned 2.0.0"):
        build_layer.check_pins({"numpy": "2.0.0"}, {"numpy": "2.1.0"})


def test_elf_machine_and_segment_alignment(tmp_path):
    arm = tmp_path / "arm.so"
    arm.write_bytes(_elf(183))
    x86 = tmp_path / "x86.so"
    x86.write_bytes(_elf(62, aligned=False))
    text = _write(tmp_path / "notes.so.txt", 100)
    assert build_layer.elf_machine(arm) == "aarch64"
    assert build_layer.elf_machine(x86) == "x86_64"
    assert build_layer.elf_machine(text) is None
    assert build_layer.load_segments_aligned(arm)
    assert not build_layer.load_segments_aligned(x86)
    assert not build_layer.load_segments_aligned(text)
    found = build_layer.find_elf_files(tmp_path)
    assert found == {arm: "aarch64", x86: "x86_64"}
    build_layer.check_elf_machines({arm: "aarch64"}, "arm64", tmp_path)
    with pytest.raises(build_layer.LayerBuildError, match=r"another machine than aarch64: x86.so \(x86_64\)"):
        build_layer.check_elf_machines(found, "arm64", tmp_path)


def test_strip_tool_order():
    assert build_layer.strip_tool_candidates("aarch64", host_machine="x86_64") == [
        "aarch64-linux-gnu-strip",
        "llvm-strip",
        "strip",
    ]
    assert build_layer.strip_tool_candidates("x86_64", host_machine="x86_64") == [
        "strip",
        "x86_64-linux-gnu-strip",
        "llvm-strip",
    ]


def _fake_strip_tool(tmp_path: Path, name: str, output: bytes | None) -> str:
    """A stand-in strip tool: writes `output` to the ``-o`` path, or fails if it is None."""
    script = tmp_path / name
    write = f"open(sys.argv[sys.argv.index('-o') + 1], 'wb').write({output!r})"
    body = "sys.exit(1)" if output is None else write
    script.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_strip_file_keeps_the_original_unless_the_copy_is_sound_and_smaller(tmp_path):
    original = _elf(183, size=4096)
    library = tmp_path / "lib.so"
    failing = _fake_strip_tool(tmp_path, "failing", None)
    misaligning = _fake_strip_tool(tmp_path, "misaligning", _elf(183, aligned=False, size=1024))
    growing = _fake_strip_tool(tmp_path, "growing", _elf(183, size=8192))
    good = _fake_strip_tool(tmp_path, "good", _elf(183, size=1024))

    cases = [
        ([failing], (None, "no-tool")),
        ([failing, misaligning], (None, "misaligned")),
        ([growing], (None, "no-gain")),
        ([misaligning, good], (good, "stripped")),
    ]
    for tools, expected in cases:
        library.write_bytes(original)
        library.chmod(0o755)
        assert build_layer.strip_file(library, tools) == expected
        assert library.read_bytes() == (original if expected[0] is None else _elf(183, size=1024))
        assert os.access(library, os.X_OK)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("lib")) == ["lib.so"]


def test_prepare_out_dir_replaces_only_its_own_layers(tmp_path):
    foreign = tmp_path / "foreign"
    _write(foreign / "precious.txt", 3)
    with pytest.raises(build_layer.LayerBuildError, match="refusing to empty"):
        build_layer.prepare_out_dir(foreign)
    assert (foreign / "precious.txt").exists()

    ours = tmp_path / "layer"
    _write(ours / "python" / "old.py", 3)
    build_layer.write_manifest(ours, {"architecture": "arm64"})
    site = build_layer.prepare_out_dir(ours)
    assert site == ours / "python" and list(ours.iterdir()) == [site] and not any(site.iterdir())


def test_zip_is_reproducible_and_rooted_at_python(tmp_path):
    layer = tmp_path / "layer"
    _write(layer / "python" / "pkg" / "__init__.py", 10)
    _write(layer / "python" / "pkg" / "data.bin", 5000)
    build_layer.write_manifest(layer, {"architecture": "x86_64"})
    first = build_layer.write_zip(layer, tmp_path / "a.zip")
    build_layer.write_zip(layer, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first == (tmp_path / "a.zip").stat().st_size
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
    assert names == [build_layer.MANIFEST_NAME, "python/pkg/__init__.py", "python/pkg/data.bin"]


def test_main_asks_for_no_package_when_the_source_is_missing(tmp_path, capsys):
    out = tmp_path / "out"
    status = build_layer.main(["--arch", "arm64", "--package-dir", str(tmp_path), "--out", str(out)])
    assert status == 1
    error = capsys.readouterr().err
    assert "no pyproject.toml or setup.py" in error and "--no-package" in error
    assert not out.exists()


# ----------------------------------------------------------------------------------------
# What the function imports must be in the layer or the runtime
# ----------------------------------------------------------------------------------------

#: Top-level modules that the deployed function can import besides the standard library: the
#: layer's distributions and the AWS SDK that comes with the python3.12 runtime.
LAYER_AND_RUNTIME_MODULES = {
    "numpy",
    "scipy",
    "sklearn",
    "joblib",
    "threadpoolctl",
    "skops",
    "packaging",
    "narwhals",
    "cloudpickle",
    "pydmlserverless",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "urllib3",
    "six",
    "awslambdaric",
}


def _layer_package(root: Path) -> Path:
    """This checkout's pydmlserverless as the layer holds it (``build_layer.keep_worker_only``), under ``root``."""
    shutil.copytree(REPO / "pydmlserverless", root / "pydmlserverless", ignore=shutil.ignore_patterns("__pycache__"))
    build_layer.keep_worker_only(root / "pydmlserverless")
    return root


def _import_handler_with_layer_modules_only(function_dir: Path, layer: Path) -> subprocess.CompletedProcess:
    """Import ``handler`` from a function folder in a fresh interpreter that can import nothing else
    than the standard library, the function folder's own modules, the layer and the runtime's SDK.

    ``layer`` holds the layer's ``pydmlserverless``; no other pydmlserverless module may be
    imported (an editable install of the checkout would otherwise serve the client modules)."""
    own = {path.stem for path in function_dir.glob("*.py")} | {
        path.parent.name for path in function_dir.glob("*/__init__.py")
    }
    package = layer / "pydmlserverless"
    layer_modules = sorted(
        "pydmlserverless." + ".".join(path.relative_to(package).with_suffix("").parts).removesuffix(".__init__")
        for path in package.rglob("*.py")
    )
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        allowed = set({sorted(LAYER_AND_RUNTIME_MODULES | own)!r})
        layer_modules = set({layer_modules!r}) | {{"pydmlserverless"}}
        class OnlyLayer(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                top = name.partition(".")[0]
                if top == "pydmlserverless" and name not in layer_modules:
                    raise ModuleNotFoundError(f"No module named {{name!r}} in the Lambda layer", name=name)
                if top in allowed or top in sys.stdlib_module_names or top.startswith("_"):
                    return None
                raise ModuleNotFoundError(f"No module named {{name!r}} in the Lambda layer", name=name)
        sys.meta_path.insert(0, OnlyLayer())
        sys.path[:0] = [{str(function_dir)!r}, {str(layer)!r}]
        import handler
        assert callable(handler.lambda_handler)
        import pydmlserverless
        assert pydmlserverless.__file__.startswith({str(layer)!r}), pydmlserverless.__file__
        """
    )
    return subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, check=False)


def test_import_check_tells_layer_modules_from_others(tmp_path):
    layer = _layer_package(tmp_path / "layer")
    function = tmp_path / "function"
    function.mkdir()
    (function / "helpers.py").write_text("import json\nimport numpy\nimport pydmlserverless.worker.codec\n")
    handler = "import helpers\nimport sklearn.base\n\n\ndef lambda_handler(event, context):\n    pass\n"
    (function / "handler.py").write_text(handler)
    assert _import_handler_with_layer_modules_only(function, layer).returncode == 0
    (function / "helpers.py").write_text("import pandas\n")
    failed = _import_handler_with_layer_modules_only(function, layer)
    assert failed.returncode == 1 and "No module named 'pandas' in the Lambda layer" in failed.stderr
    (function / "helpers.py").write_text("import pydmlserverless.doubleml.registry\n")
    failed = _import_handler_with_layer_modules_only(function, layer)
    assert failed.returncode == 1
    assert "No module named 'pydmlserverless.doubleml' in the Lambda layer" in failed.stderr


def test_the_layer_keeps_the_worker_subpackage_only(tmp_path):
    package = _layer_package(tmp_path) / "pydmlserverless"
    held = sorted(str(path.relative_to(package)) for path in package.rglob("*.py"))
    assert held == sorted(
        ["__init__.py", "_version.py", "errors.py"]
        + [f"worker/{path.name}" for path in (REPO / "pydmlserverless" / "worker").glob("*.py")]
    )
    assert (package / "__init__.py").read_text() == build_layer.LAYER_INIT


def test_handler_imports_only_what_the_layer_and_runtime_provide(tmp_path):
    result = _import_handler_with_layer_modules_only(REPO / "lambda", _layer_package(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]


# ----------------------------------------------------------------------------------------
# A real build (downloads about 60 MB of wheels)
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_arm64_layer_builds_within_the_limit(tmp_path, capsys):
    out = tmp_path / "layer"
    assert build_layer.main(["--arch", "arm64", "--out", str(out), "--zip"]) == 0
    printed = capsys.readouterr().out
    assert "total unzipped" in printed and "pinning numpy==" in printed

    manifest = json.loads((out / build_layer.MANIFEST_NAME).read_text())
    assert manifest["architecture"] == "arm64" and manifest["pydmlserverless_included"]
    for name, version in manifest["pinned"].items():
        assert manifest["distributions"][name] == version
    assert "pydmlserverless" in manifest["distributions"]
    assert "boto3" not in manifest["distributions"]

    site = out / "python"
    package = site / "pydmlserverless"
    held = sorted(str(path.relative_to(package)) for path in package.rglob("*.py"))
    assert held == sorted(
        ["__init__.py", "_version.py", "errors.py"]
        + [f"worker/{path.name}" for path in (REPO / "pydmlserverless" / "worker").glob("*.py")]
    ), held  # the worker subpackage and its leaves: no client module
    assert (package / "__init__.py").read_text() == build_layer.LAYER_INIT

    assert not list(site.rglob("tests")) and not list(site.rglob("__pycache__"))
    assert not (site / "bin").exists()
    elf_files = build_layer.find_elf_files(site)
    assert elf_files and set(elf_files.values()) == {"aarch64"}
    assert all(build_layer.load_segments_aligned(path) for path in elf_files)
    size = build_layer.directory_size(out) + build_layer.directory_size(build_layer.DEFAULT_FUNCTION_DIR)
    assert size <= build_layer.LAMBDA_UNZIPPED_LIMIT
    assert (tmp_path / "layer-arm64.zip").stat().st_size > 0


def test_documented_build_command_runs():
    script = Path(__file__).resolve().parents[2] / "sam" / "build_layer.py"
    out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=True)
    assert "--arch" in out.stdout
